"""Button polls: asked in a member's words, voted by buttons, closed once, surviving restarts.

The ``polls`` row is the truth and the scheduler's timer is only the alarm clock that wakes the
bot at ``ends_at``. Closing is a compare-and-swap on ``closed_at`` (``WHERE closed_at IS
NULL``), so a poll whose timer fires while a moderator ends it, or that is woken twice (a timer
re-made after a crash), is closed and announced once. At start, :meth:`PollService.restore_timers`
gives every open poll whose timer is gone a new one; a poll that ended during the downtime
closes at start.

A member's ballot is one ``poll_votes`` row, a bitmask of their answers, written with one atomic
upsert. Every vote first bumps the poll's ``version`` in a statement that also checks the poll
is open: that row lock puts votes and the close of one poll in a single order, so a vote is
either in the final results or refused as late, never counted after the results were read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.bots.utility.services.alarms import AlarmedService
from botfleet.bots.utility.services.when import parse_when
from botfleet.database.models.polls import Poll as PollRow
from botfleet.database.models.polls import PollVote
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry
from botfleet.utils.helpers import format_time, truncate_string
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

TIMER_EVENT: Final = "poll_close"
"""The scheduler event; the Utility Bot handles it in ``on_poll_close_timer_complete``."""

ANSWER_SEPARATOR: Final = "|"
MIN_ANSWERS: Final = 2
MAX_ANSWERS: Final = 10
"""Two rows of five buttons; a ballot's bitmask has room for all of them."""
ANSWER_EXAMPLE: Final = "“Pizza | Pasta | Salad”"
AUTOCOMPLETE_LIMIT: Final = 25
SEARCH_WINDOW: Final = 200
"""The newest polls of a server that autocomplete looks through."""


class PollError(UserError):
    """A poll request the member can fix."""


class PollNotFoundError(PollError):
    """No poll of *this server* has that number (another server's counts as none)."""


class PollClosedError(PollError):
    """The poll has ended: no more votes, and it cannot be ended again."""


@dataclass(frozen=True, slots=True)
class Poll:
    """A button poll as the commands and views show it."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    creator_id: int
    question: str
    answers: tuple[str, ...]
    anonymous: bool
    allow_change: bool
    multiple_choice: bool
    ends_at: datetime
    closed_at: datetime | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def jump_url(self) -> str | None:
        """A link to the poll's message (None before it was posted)."""
        if self.message_id is None:
            return None
        return f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.message_id}"

    def chosen(self, choices: int) -> list[str]:
        """The answers a ballot's bitmask names, in the poll's order."""
        return [answer for index, answer in enumerate(self.answers) if choices & (1 << index)]


@dataclass(frozen=True, slots=True)
class NewPoll:
    """What a member asked for with ``/poll create``; answers and end are still their words."""

    guild_id: int
    channel_id: int
    creator_id: int
    question: str
    answers: str
    ends: str | None = None
    anonymous: bool = False
    allow_change: bool = True
    multiple_choice: bool = False


@dataclass(frozen=True, slots=True)
class Tally:
    """A poll's counts: votes per answer, and who voted for what unless it is anonymous."""

    poll: Poll
    counts: tuple[int, ...]
    voters: int
    """Members with at least one answer chosen."""
    voters_by_answer: tuple[tuple[int, ...], ...] | None = None
    """Member ids per answer, in voting order; None for anonymous polls or when not asked."""

    @property
    def total_votes(self) -> int:
        return sum(self.counts)

    def share(self, index: int) -> float:
        """The answer's part of all votes cast (0 when nobody voted)."""
        total = self.total_votes
        return self.counts[index] / total if total else 0.0

    @property
    def leaders(self) -> list[int]:
        """The indexes of the answers with the most votes; none while nobody voted."""
        top = max(self.counts, default=0)
        return [index for index, count in enumerate(self.counts) if top and count == top]


@dataclass(frozen=True, slots=True)
class Vote:
    """A member's ballot right after their press: the answers they now have chosen."""

    poll: Poll
    choices: int

    @property
    def chosen(self) -> list[str]:
        return self.poll.chosen(self.choices)


def _from_row(row: PollRow) -> Poll:
    return Poll(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        creator_id=row.creator_id,
        question=row.question,
        answers=tuple(row.answers),
        anonymous=row.anonymous,
        allow_change=row.allow_change,
        multiple_choice=row.multiple_choice,
        ends_at=row.ends_at,
        closed_at=row.closed_at,
        version=row.version,
    )


def _quoted(text: str) -> str:
    return f"“{truncate_string(text, 40)}”"


def split_answers(text: str, max_length: int) -> tuple[str, ...]:
    """The answers of ``a | b | c``, each checked; raises :class:`PollError` saying what to fix."""
    answers = [part.strip() for part in text.split(ANSWER_SEPARATOR)]
    if len(answers) < MIN_ANSWERS:
        raise PollError(
            f"A poll needs at least {MIN_ANSWERS} answers, separated by {ANSWER_SEPARATOR}, "
            f"for example {ANSWER_EXAMPLE}."
        )
    if len(answers) > MAX_ANSWERS:
        raise PollError(
            f"A poll can have at most {MAX_ANSWERS} answers; you gave {len(answers)}. "
            "For more, split it into two polls."
        )
    seen: dict[str, int] = {}
    for number, answer in enumerate(answers, start=1):
        if not answer:
            raise PollError(
                f"Answer {number} is empty: check for two {ANSWER_SEPARATOR} in a row, or one "
                f"at the start or the end. For example {ANSWER_EXAMPLE}."
            )
        if len(answer) > max_length:
            raise PollError(
                f"Answer {number} has {len(answer)} characters; an answer can have at most "
                f"{max_length}."
            )
        key = answer.casefold()
        if key in seen:
            raise PollError(
                f"Answers {seen[key]} and {number} are both {_quoted(answer)}; "
                "each answer must be different."
            )
        seen[key] = number
    return tuple(answers)


def _bit(index: int) -> int:
    return 1 << index


def _answer_counts(answers: int) -> list[ColumnElement[Any]]:
    """One SUM per answer over the ballots' bitmasks, so counting is one query."""
    return [
        func.coalesce(func.sum(case((PollVote.choices.op("&")(_bit(index)) != 0, 1), else_=0)), 0)
        for index in range(answers)
    ]


class PollService(AlarmedService):
    """Creates, votes in, closes and counts button polls; no Discord in here."""

    model = PollRow

    def _check_question(self, question: str) -> str:
        text = question.strip()
        if not text:
            raise PollError("Please write the poll's question.")
        limit = self.options.max_poll_question_length
        if len(text) > limit:
            raise PollError(f"A question can be at most {limit} characters; yours has {len(text)}.")
        return text

    async def _end_time(self, ends: str | None, user_id: int, now: datetime) -> datetime:
        if ends is None or not ends.strip():
            return now + timedelta(hours=self.options.default_poll_hours)
        zone = await self.timezones.zone_of(user_id)
        ends_at = parse_when(ends, now=now, zone=zone)
        shortest = timedelta(seconds=self.options.min_poll_seconds)
        longest = timedelta(days=self.options.max_poll_days)
        if ends_at - now < shortest:
            raise PollError(
                f"A poll runs at least {format_time(self.options.min_poll_seconds)}; "
                "pick a later end."
            )
        if ends_at - now > longest:
            raise PollError(
                f"A poll runs at most {plural(self.options.max_poll_days, 'day')}; pick an "
                "earlier end."
            )
        return ends_at

    async def create(self, request: NewPoll) -> Poll:
        """Store the poll and set its closing alarm; raises :class:`PollError` for bad input."""
        question = self._check_question(request.question)
        answers = split_answers(request.answers, self.options.max_poll_answer_length)
        now = self._clock()
        ends_at = await self._end_time(request.ends, request.creator_id, now)
        limit = self.options.max_open_polls_per_guild
        async with self.database.session() as session:
            open_polls = await session.scalar(
                select(func.count())
                .select_from(PollRow)
                .where(PollRow.guild_id == request.guild_id, PollRow.closed_at.is_(None))
            )
            if (open_polls or 0) >= limit:
                raise PollError(
                    f"This server already has {limit} open polls, the most it may keep. "
                    "End one with /poll end first."
                )
            row = PollRow(
                guild_id=request.guild_id,
                channel_id=request.channel_id,
                creator_id=request.creator_id,
                question=question,
                answers=list(answers),
                anonymous=request.anonymous,
                allow_change=request.allow_change,
                multiple_choice=request.multiple_choice,
                created_at=now,
                ends_at=ends_at,
                version=0,
            )
            session.add(row)
            await session.commit()
        poll = _from_row(row)
        await self._set_alarm(poll)
        log.info(
            "poll %d created by %d in guild %d, ends %s",
            poll.id,
            poll.creator_id,
            poll.guild_id,
            ends_at.isoformat(),
        )
        return poll

    async def _set_alarm(self, poll: Poll) -> None:
        await self._ring(
            poll.id, poll.ends_at, TIMER_EVENT, {"poll_id": poll.id}, PollRow.closed_at.is_(None)
        )

    async def discard(self, poll_id: int) -> None:
        """Drop a poll whose message could not be posted, and its alarm."""
        async with self.database.session() as session:
            timer_id = await session.scalar(select(PollRow.timer_id).where(PollRow.id == poll_id))
            await session.execute(delete(PollRow).where(PollRow.id == poll_id))
            await session.commit()
        if timer_id is not None:
            await self.scheduler.cancel(timer_id)
        log.info("poll %d discarded: its message could not be posted", poll_id)

    async def find(self, poll_id: int) -> Poll | None:
        """The poll with this number, whichever server it is in (for its own buttons)."""
        async with self.database.session() as session:
            row = await session.get(PollRow, poll_id)
        return _from_row(row) if row is not None else None

    async def get(self, guild_id: int, poll_id: int) -> Poll:
        """A poll of this server; another server's is reported as not found."""
        poll = await self.find(poll_id)
        if poll is None or poll.guild_id != guild_id:
            raise PollNotFoundError(
                f"This server has no poll #{poll_id}. Start typing in the poll option to see "
                "the server's polls."
            )
        return poll

    async def search(self, guild_id: int, query: str) -> list[Poll]:
        """This server's polls matching ``query`` (number or words), open and newest first."""
        wanted = query.strip().casefold().lstrip("#")
        async with self.database.session() as session:
            rows = await session.scalars(
                select(PollRow)
                .where(PollRow.guild_id == guild_id)
                .order_by(PollRow.closed_at.is_not(None), PollRow.id.desc())
                .limit(SEARCH_WINDOW)
            )
            polls = [_from_row(row) for row in rows]
        return [
            poll for poll in polls if wanted in str(poll.id) or wanted in poll.question.casefold()
        ][:AUTOCOMPLETE_LIMIT]

    async def vote(
        self, poll_id: int, user_id: int, answer: int, *, guild_id: int | None = None
    ) -> Vote:
        """Press answer ``answer`` (0-based) for the member: choose it, or change or take back.

        With ``guild_id`` (the server the button was pressed in), only a poll of that server:
        a vote button names its poll by a number, and one naming another server's poll must
        not vote there.

        In a single-choice poll the press replaces the member's answer (pressing it again takes
        the vote back); in a multiple-choice poll it adds or removes that answer. Where votes
        cannot be changed, the first choice stays and a press that would change it is refused.
        """
        now = self._clock()
        async with self.database.session() as session:
            opened = await session.scalars(
                update(PollRow)
                .where(
                    PollRow.id == poll_id,
                    PollRow.closed_at.is_(None),
                    PollRow.ends_at > now,
                    *([PollRow.guild_id == guild_id] if guild_id is not None else []),
                )
                .values(version=PollRow.version + 1)
                .returning(PollRow)
                .execution_options(synchronize_session=False)
            )
            row = opened.first()
            if row is None:
                raise await self._why_not_open(session, poll_id, guild_id)
            poll = _from_row(row)
            if not 0 <= answer < len(poll.answers):
                raise PollError("That answer is not part of this poll any more.")
            choices = await self._write_ballot(session, poll, user_id, answer)
            await session.commit()
        log.debug("member %d pressed answer %d of poll %d", user_id, answer, poll_id)
        return Vote(poll, choices)

    async def _why_not_open(
        self, session: AsyncSession, poll_id: int, guild_id: int | None
    ) -> PollError:
        """Asked in the vote's own session: a second one would wait for a pooled connection
        while this one holds SQLite's write lock."""
        row = await session.get(PollRow, poll_id)
        if row is None:
            return PollNotFoundError("This poll no longer exists.")
        if guild_id is not None and row.guild_id != guild_id:
            return PollNotFoundError("That button belongs to a poll of another server.")
        return PollClosedError("This poll has ended; votes are no longer counted.")

    async def _write_ballot(
        self, session: AsyncSession, poll: Poll, user_id: int, answer: int
    ) -> int:
        """Upsert the member's ballot in one statement and return its new bitmask."""
        bit = _bit(answer)
        statement = self.database.upsert(PollVote).values(
            poll_id=poll.id, user_id=user_id, choices=bit, voted_at=self._clock()
        )
        current = PollVote.choices
        keys = ["poll_id", "user_id"]
        touched = {"voted_at": statement.excluded.voted_at}
        if poll.multiple_choice and poll.allow_change:
            toggled = case((current.op("&")(bit) != 0, current - bit), else_=current + bit)
            statement = statement.on_conflict_do_update(
                index_elements=keys, set_={"choices": toggled, **touched}
            )
        elif poll.multiple_choice:
            statement = statement.on_conflict_do_update(
                index_elements=keys,
                set_={"choices": current + bit, **touched},
                where=current.op("&")(bit) == 0,
            )
        elif poll.allow_change:
            replaced = case((current == bit, 0), else_=bit)
            statement = statement.on_conflict_do_update(
                index_elements=keys, set_={"choices": replaced, **touched}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        written = (await session.execute(statement.returning(PollVote.choices))).first()
        if written is not None:
            return int(written[0])
        kept = await session.scalar(
            select(PollVote.choices).where(PollVote.poll_id == poll.id, PollVote.user_id == user_id)
        )
        if poll.multiple_choice:
            raise PollError(
                f"You already chose {_quoted(poll.answers[answer])}; answers in this poll "
                "can't be taken back."
            )
        mine = ", ".join(_quoted(text) for text in poll.chosen(kept or 0))
        raise PollError(f"You already voted for {mine}; votes in this poll can't be changed.")

    async def close(self, poll_id: int) -> Poll | None:
        """Close the poll if it is still open; None when it was closed (or deleted) already.

        Only one caller ever wins: the timer and ``/poll end`` may race, the results are
        announced by whichever closed it.
        """
        async with self.database.session() as session:
            closed = await session.scalars(
                update(PollRow)
                .where(PollRow.id == poll_id, PollRow.closed_at.is_(None))
                .values(closed_at=self._clock(), version=PollRow.version + 1)
                .returning(PollRow)
                .execution_options(synchronize_session=False)
            )
            row = closed.first()
            await session.commit()
        if row is None:
            return None
        poll = _from_row(row)
        log.info("poll %d closed", poll_id)
        return poll

    async def end(self, guild_id: int, poll_id: int, user_id: int, *, moderator: bool) -> Poll:
        """End a poll early: its creator or a moderator may; its alarm is cancelled."""
        poll = await self.get(guild_id, poll_id)
        if poll.creator_id != user_id and not moderator:
            raise PollError(
                f"Only the member who started poll #{poll_id} or a moderator can end it."
            )
        if not poll.is_open:
            raise PollClosedError(f"Poll #{poll_id} has already ended.")
        closed = await self.close(poll_id)
        if closed is None:
            raise PollClosedError(f"Poll #{poll_id} has just ended.")
        async with self.database.session() as session:
            timer_id = await session.scalar(select(PollRow.timer_id).where(PollRow.id == poll_id))
        if timer_id is not None:
            await self.scheduler.cancel(timer_id)
        log.info("poll %d ended early by %d", poll_id, user_id)
        return closed

    async def tally(self, poll_id: int, *, with_voters: bool = False) -> Tally:
        """The poll's counts; ``with_voters`` adds who voted for what unless it is anonymous."""
        async with self.database.session() as session:
            row = await session.get(PollRow, poll_id)
            if row is None:
                raise PollNotFoundError("This poll no longer exists.")
            poll = _from_row(row)
            sums = (
                await session.execute(
                    select(func.count(), *_answer_counts(len(poll.answers))).where(
                        PollVote.poll_id == poll_id, PollVote.choices != 0
                    )
                )
            ).one()
            voters_by_answer = None
            if with_voters and not poll.anonymous:
                ballots = (
                    await session.execute(
                        select(PollVote.user_id, PollVote.choices)
                        .where(PollVote.poll_id == poll_id, PollVote.choices != 0)
                        .order_by(PollVote.voted_at, PollVote.user_id)
                    )
                ).all()
                voters_by_answer = _voters_by_answer(len(poll.answers), ballots)
        return Tally(
            poll=poll,
            counts=tuple(int(count) for count in sums[1:]),
            voters=int(sums[0]),
            voters_by_answer=voters_by_answer,
        )

    async def restore_timers(self) -> int:
        """Give every open poll whose alarm is gone a new one; returns how many.

        Run at start: a timer claimed by a process that then crashed, or kept in the memory of
        a process that died, leaves its poll without an alarm. A spare alarm is harmless (the
        close lets one announcement through), a missing one leaves a poll open for ever.
        """
        rows = await self._rows_without_alarm(PollRow.closed_at.is_(None))
        polls = [_from_row(row) for row in rows]
        for poll in polls:
            await self._set_alarm(poll)
        if polls:
            log.info("gave %d polls a new closing alarm after a restart", len(polls))
        return len(polls)


def _voters_by_answer(answers: int, ballots: Sequence[Any]) -> tuple[tuple[int, ...], ...]:
    by_answer: list[list[int]] = [[] for _ in range(answers)]
    for user_id, choices in ballots:
        for index in range(answers):
            if choices & _bit(index):
                by_answer[index].append(int(user_id))
    return tuple(tuple(voters) for voters in by_answer)


async def delete_poll_votes(session: AsyncSession, user_id: int) -> int:
    """Privacy: a member's ballots go with them."""
    statement = delete(PollVote).where(PollVote.user_id == user_id)
    return await count_deleted(session, statement, PollVote.poll_id)


async def delete_created_polls(session: AsyncSession, user_id: int) -> int:
    """Privacy: the polls a member started (their words) go too, with the ballots in them."""
    ballots = delete(PollVote).where(
        PollVote.poll_id.in_(select(PollRow.id).where(PollRow.creator_id == user_id))
    )
    await session.execute(ballots.execution_options(synchronize_session=False))
    statement = delete(PollRow).where(PollRow.creator_id == user_id)
    return await count_deleted(session, statement, PollRow.id)


registry.register("poll_votes", delete_poll_votes)
registry.register("polls", delete_created_polls)
