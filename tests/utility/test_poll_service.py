"""Button polls without Discord, on SQLite and the real PostgreSQL: rules, races, closing once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from utility_helpers import NOW, Clock, alarmed_service, stored_timers

from botfleet.bots.utility.services.polls import (
    TIMER_EVENT,
    NewPoll,
    PollClosedError,
    PollError,
    PollNotFoundError,
    PollService,
    split_answers,
)
from botfleet.bots.utility.services.timezones import TimezoneStore
from botfleet.bots.utility.services.when import WhenError
from botfleet.database import Database
from botfleet.database.models.polls import Poll as PollRow
from botfleet.database.models.polls import PollVote
from botfleet.database.models.timer import Timer
from botfleet.services.privacy import registry

ALICE, BOB, CAROL = 1001, 1002, 1003
GUILD, OTHER_GUILD, CHANNEL = 500, 501, 600


@pytest.fixture
def make_service(database: Database, clock: Clock) -> Callable[..., PollService]:
    def make(**options: Any) -> PollService:
        return alarmed_service(PollService, database, clock, **options)

    return make


@pytest.fixture
def service(make_service: Callable[..., PollService]) -> PollService:
    return make_service()


def request(answers: str = "Pizza | Pasta | Salad", **fields: Any) -> NewPoll:
    fields.setdefault("creator_id", ALICE)
    fields.setdefault("question", "What's for lunch?")
    fields.setdefault("guild_id", GUILD)
    return NewPoll(channel_id=CHANNEL, answers=answers, **fields)


async def stored_polls(database: Database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(PollRow)) or 0


async def test_a_poll_is_stored_with_a_closing_alarm(
    service: PollService, database: Database
) -> None:
    poll = await service.create(request(" Pizza|Pasta |  Salad ", ends="in 2h", anonymous=True))
    assert poll.answers == ("Pizza", "Pasta", "Salad")
    assert poll.ends_at == NOW + timedelta(hours=2)
    assert poll.is_open and poll.anonymous and poll.allow_change and not poll.multiple_choice
    [alarm] = await stored_timers(database)
    assert alarm.event == TIMER_EVENT
    assert alarm.expires_at == poll.ends_at
    assert alarm.payload == {"poll_id": poll.id}
    assert await service.get(GUILD, poll.id) == poll


async def test_the_end_is_read_in_the_members_zone_and_defaults_to_a_day(
    service: PollService, database: Database
) -> None:
    await TimezoneStore(database).set_zone(ALICE, "America/New_York")
    evening = await service.create(request(ends="tomorrow 18:00"))
    assert evening.ends_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    default = await service.create(request())
    assert default.ends_at == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("Only one", "at least 2 answers"),
        (" | ".join(str(n) for n in range(11)), "at most 10 answers; you gave 11"),
        ("Pizza || Pasta", "Answer 2 is empty"),
        ("Pizza | Pasta |", "Answer 3 is empty"),
        ("Pizza | pizza ", "Answers 1 and 2 are both “pizza”"),
        ("Pizza | " + "x" * 81, "Answer 2 has 81 characters; an answer can have at most 80"),
    ],
)
def test_bad_answers_are_explained(answers: str, message: str) -> None:
    with pytest.raises(PollError, match=message):
        split_answers(answers, 80)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"answers": "Yes"}, PollError, "at least 2 answers"),
        ({"question": "   "}, PollError, "write the poll's question"),
        ({"question": "?" * 301}, PollError, "at most 300 characters; yours has 301"),
        ({"ends": "in 30s"}, PollError, "runs at least 1m"),
        ({"ends": "in 40d"}, PollError, "at most 32 days"),
        ({"ends": "2020-01-01"}, WhenError, "has already passed"),
        ({"ends": "someday"}, WhenError, "couldn't read “someday”"),
    ],
)
async def test_bad_requests_are_refused_and_nothing_is_stored(
    service: PollService,
    database: Database,
    fields: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        await service.create(request(**fields))
    assert await stored_polls(database) == 0
    assert await stored_timers(database) == []


async def test_a_server_keeps_at_most_the_configured_number_of_open_polls(
    make_service: Callable[..., PollService],
) -> None:
    service = make_service(max_open_polls_per_guild=2)
    first = await service.create(request())
    await service.create(request())
    with pytest.raises(PollError, match="already has 2 open polls"):
        await service.create(request())
    await service.create(request(guild_id=OTHER_GUILD))  # another server has its own room
    await service.close(first.id)
    await service.create(request())  # a closed poll frees its place


async def test_single_choice_votes_change_and_can_be_taken_back(service: PollService) -> None:
    poll = await service.create(request())
    assert (await service.vote(poll.id, ALICE, 0)).chosen == ["Pizza"]
    assert (await service.vote(poll.id, BOB, 0)).chosen == ["Pizza"]
    assert (await service.vote(poll.id, ALICE, 2)).chosen == ["Salad"]
    tally = await service.tally(poll.id)
    assert tally.counts == (1, 0, 1) and tally.voters == 2
    assert (await service.vote(poll.id, ALICE, 2)).chosen == []  # pressed again: taken back
    tally = await service.tally(poll.id)
    assert tally.counts == (1, 0, 0) and tally.voters == 1
    assert tally.leaders == [0] and tally.share(0) == 1.0


async def test_when_votes_cannot_change_the_first_one_stays(service: PollService) -> None:
    poll = await service.create(request(allow_change=False))
    await service.vote(poll.id, ALICE, 1)
    for answer in (0, 1):
        with pytest.raises(PollError, match="already voted for “Pasta”; votes in this poll can't"):
            await service.vote(poll.id, ALICE, answer)
    assert (await service.tally(poll.id)).counts == (0, 1, 0)


async def test_multiple_choice_presses_add_and_remove_answers(service: PollService) -> None:
    poll = await service.create(request(multiple_choice=True))
    await service.vote(poll.id, ALICE, 0)
    assert (await service.vote(poll.id, ALICE, 2)).chosen == ["Pizza", "Salad"]
    assert (await service.vote(poll.id, ALICE, 0)).chosen == ["Salad"]
    await service.vote(poll.id, BOB, 2)
    tally = await service.tally(poll.id)
    assert tally.counts == (0, 0, 2) and tally.voters == 2 and tally.total_votes == 2


async def test_multiple_choice_without_changes_adds_but_never_removes(
    service: PollService,
) -> None:
    poll = await service.create(request(multiple_choice=True, allow_change=False))
    await service.vote(poll.id, ALICE, 0)
    assert (await service.vote(poll.id, ALICE, 1)).chosen == ["Pizza", "Pasta"]
    with pytest.raises(PollError, match="already chose “Pizza”; answers in this poll can't"):
        await service.vote(poll.id, ALICE, 0)
    assert (await service.tally(poll.id)).counts == (1, 1, 0)


async def test_votes_are_refused_once_a_poll_has_ended(service: PollService, clock: Clock) -> None:
    closed = await service.create(request())
    await service.close(closed.id)
    with pytest.raises(PollClosedError, match="has ended"):
        await service.vote(closed.id, ALICE, 0)
    overdue = await service.create(request(ends="in 1h"))
    clock.now = overdue.ends_at  # its alarm has not gone off yet, but the time is up
    with pytest.raises(PollClosedError):
        await service.vote(overdue.id, ALICE, 0)
    with pytest.raises(PollNotFoundError):
        await service.vote(9999, ALICE, 0)
    with pytest.raises(PollError, match="not part of this poll"):
        await service.vote((await service.create(request())).id, ALICE, 5)


async def test_members_pressing_at_once_are_all_counted(service: PollService) -> None:
    poll = await service.create(request())
    members = range(2000, 2030)
    await asyncio.gather(*(service.vote(poll.id, member, member % 3) for member in members))
    tally = await service.tally(poll.id)
    assert tally.voters == 30 and tally.counts == (10, 10, 10)


async def test_one_member_pressing_many_buttons_at_once_has_one_consistent_ballot(
    make_service: Callable[..., PollService], database: Database
) -> None:
    processes = [make_service() for _ in range(3)]
    single = await processes[0].create(request())
    presses = [processes[n % 3].vote(single.id, ALICE, n % 3) for n in range(9)]
    await asyncio.gather(*presses)
    async with database.session() as session:
        ballots = (
            await session.scalars(select(PollVote).where(PollVote.poll_id == single.id))
        ).all()
    assert len(ballots) == 1 and ballots[0].choices in (0, 1, 2, 4)  # never two answers

    multiple = await processes[0].create(request(multiple_choice=True, allow_change=False))
    await asyncio.gather(*(processes[n].vote(multiple.id, BOB, n) for n in range(3)))
    assert (await processes[0].tally(multiple.id)).counts == (1, 1, 1)  # no press lost


async def test_a_vote_racing_the_close_is_either_counted_or_refused(
    make_service: Callable[..., PollService],
) -> None:
    service, closer = make_service(), make_service()
    poll = await service.create(request())
    votes = [service.vote(poll.id, member, 0) for member in range(3000, 3020)]
    outcomes = await asyncio.gather(closer.close(poll.id), *votes, return_exceptions=True)
    assert outcomes[0] is not None and not isinstance(outcomes[0], BaseException)
    accepted = [outcome for outcome in outcomes[1:] if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes[1:] if isinstance(outcome, BaseException)]
    assert [error for error in refused if not isinstance(error, PollClosedError)] == []
    assert (await service.tally(poll.id)).voters == len(accepted)


async def test_a_poll_is_closed_once_whoever_asks(
    make_service: Callable[..., PollService],
) -> None:
    processes = [make_service() for _ in range(4)]
    poll = await processes[0].create(request())
    results = await asyncio.gather(*(process.close(poll.id) for process in processes))
    assert sum(result is not None for result in results) == 1
    closed = next(result for result in results if result is not None)
    assert not closed.is_open and closed.closed_at == NOW


async def test_only_the_creator_or_a_moderator_ends_a_poll_early(
    service: PollService, database: Database
) -> None:
    poll = await service.create(request())
    with pytest.raises(PollError, match="Only the member who started poll"):
        await service.end(GUILD, poll.id, BOB, moderator=False)
    with pytest.raises(PollNotFoundError, match=f"no poll #{poll.id}"):
        await service.end(OTHER_GUILD, poll.id, ALICE, moderator=True)
    ended = await service.end(GUILD, poll.id, ALICE, moderator=False)
    assert not ended.is_open
    assert await stored_timers(database) == []  # its alarm went with it
    with pytest.raises(PollClosedError, match="already ended"):
        await service.end(GUILD, poll.id, ALICE, moderator=False)
    other = await service.create(request())
    assert not (await service.end(GUILD, other.id, BOB, moderator=True)).is_open


async def test_voters_are_listed_only_for_polls_that_are_not_anonymous(
    service: PollService,
) -> None:
    open_poll = await service.create(request(multiple_choice=True))
    secret = await service.create(request(anonymous=True))
    for poll in (open_poll, secret):
        await service.vote(poll.id, BOB, 1)
        await service.vote(poll.id, ALICE, 1)
    await service.vote(open_poll.id, CAROL, 0)
    await service.vote(open_poll.id, CAROL, 1)
    tally = await service.tally(open_poll.id, with_voters=True)
    assert tally.voters_by_answer is not None
    assert tally.voters_by_answer[0] == (CAROL,)
    assert set(tally.voters_by_answer[1]) == {ALICE, BOB, CAROL}
    assert tally.voters_by_answer[2] == ()
    assert (await service.tally(secret.id, with_voters=True)).voters_by_answer is None


async def test_search_offers_this_servers_polls_open_first(service: PollService) -> None:
    old = await service.create(request(question="Old question"))
    await service.close(old.id)
    new = await service.create(request(question="New question"))
    await service.create(request(question="Elsewhere", guild_id=OTHER_GUILD))
    assert [poll.id for poll in await service.search(GUILD, "")] == [new.id, old.id]
    assert [poll.id for poll in await service.search(GUILD, "old")] == [old.id]
    assert [poll.id for poll in await service.search(GUILD, f"#{new.id}")] == [new.id]


async def test_open_polls_whose_alarm_was_lost_get_one_at_start(
    service: PollService, database: Database
) -> None:
    kept = await service.create(request(ends="in 1h"))
    lost = await service.create(request(ends="in 2h"))
    ended = await service.create(request(ends="in 3h"))
    await service.close(ended.id)
    async with database.session() as session:  # a crash after a claim took the timer rows
        await session.execute(delete(Timer).where(Timer.expires_at != kept.ends_at))
        await session.commit()
    assert await service.restore_timers() == 1
    due_times = sorted(timer.expires_at for timer in await stored_timers(database))
    assert due_times == [kept.ends_at, lost.ends_at]
    assert await service.restore_timers() == 0


async def test_a_members_ballots_and_polls_go_with_a_deletion_request(
    service: PollService, database: Database
) -> None:
    bobs = await service.create(request(creator_id=BOB))
    alices = await service.create(request())
    await service.vote(bobs.id, ALICE, 0)
    await service.vote(bobs.id, BOB, 1)
    await service.vote(alices.id, BOB, 2)
    await service.vote(alices.id, CAROL, 2)
    report = await registry.delete_user(database, ALICE)
    assert report["poll_votes"] == 1
    assert report["polls"] == 1
    with pytest.raises(PollNotFoundError):
        await service.get(GUILD, alices.id)
    assert (await service.tally(bobs.id)).counts == (0, 1, 0)
    async with database.session() as session:
        left = await session.scalar(select(func.count()).select_from(PollVote))
    assert left == 1
