"""Reminders without Discord, on SQLite and the real PostgreSQL: the rules, the claim, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from utility_helpers import NOW, Clock, alarmed_service, stored_timers

from botfleet.bots.utility.services.reminders import (
    TIMER_EVENT,
    NewReminder,
    ReminderError,
    ReminderNotFoundError,
    ReminderService,
)
from botfleet.bots.utility.services.timezones import TimezoneStore
from botfleet.bots.utility.services.when import Recurrence
from botfleet.database import Database
from botfleet.database.models.timer import Timer
from botfleet.database.models.utility import Reminder as ReminderRow
from botfleet.services.privacy import registry

ALICE, BOB = 1001, 1002
GUILD, CHANNEL = 500, 600


@pytest.fixture
def make_service(database: Database, clock: Clock) -> Callable[..., ReminderService]:
    def make(**options: Any) -> ReminderService:
        return alarmed_service(ReminderService, database, clock, **options)

    return make


@pytest.fixture
def service(make_service: Callable[..., ReminderService]) -> ReminderService:
    return make_service()


def request(when: str = "in 1h", what: str = "stretch", **fields: Any) -> NewReminder:
    fields.setdefault("user_id", ALICE)
    return NewReminder(guild_id=GUILD, channel_id=CHANNEL, when=when, content=what, **fields)


async def test_a_reminder_is_stored_with_an_alarm_at_its_time(
    service: ReminderService, database: Database
) -> None:
    reminder = await service.create(request("in 2h30m", "  call mum  "))
    assert reminder.content == "call mum"
    assert reminder.due_at == NOW + timedelta(hours=2, minutes=30)
    [alarm] = await stored_timers(database)
    assert alarm.event == TIMER_EVENT
    assert alarm.expires_at == reminder.due_at
    assert alarm.payload["user_id"] == ALICE  # how data deletion finds it
    assert await service.list_for(ALICE) == [reminder]


async def test_times_are_read_in_the_members_zone(
    service: ReminderService, database: Database
) -> None:
    await TimezoneStore(database).set_zone(ALICE, "America/New_York")
    reminder = await service.create(request("tomorrow 9am"))
    assert reminder.due_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert reminder.timezone == "America/New_York"


@pytest.mark.parametrize(
    ("what", "message"),
    [("   ", "say what to remind you of"), ("x" * 41, "at most 40 characters; yours has 41")],
)
async def test_bad_text_is_refused_and_nothing_is_stored(
    make_service: Callable[..., ReminderService], database: Database, what: str, message: str
) -> None:
    service = make_service(max_reminder_length=40)
    with pytest.raises(ReminderError, match=message):
        await service.create(request(what=what))
    assert await service.list_for(ALICE) == []
    assert await stored_timers(database) == []


async def test_a_member_keeps_at_most_the_configured_number(
    make_service: Callable[..., ReminderService],
) -> None:
    service = make_service(max_reminders_per_member=2)
    await service.create(request())
    await service.create(request())
    with pytest.raises(ReminderError, match="already have 2 reminders"):
        await service.create(request())
    await service.create(request(user_id=BOB))  # others are not limited by Alice's


async def test_members_only_see_and_delete_their_own(
    service: ReminderService, database: Database
) -> None:
    mine = await service.create(request())
    with pytest.raises(ReminderNotFoundError, match=f"no reminder #{mine.id}"):
        await service.delete(BOB, mine.id)
    with pytest.raises(ReminderNotFoundError):
        await service.edit(BOB, mine.id, content="hacked")
    assert await service.list_for(BOB) == []
    await service.delete(ALICE, mine.id)
    assert await service.list_for(ALICE) == []
    assert await stored_timers(database) == []  # its alarm went with it


async def test_editing_the_time_replaces_the_alarm(
    service: ReminderService, database: Database
) -> None:
    reminder = await service.create(request("in 1h"))
    edited = await service.edit(ALICE, reminder.id, when="in 3h", content="new text")
    assert edited.due_at == NOW + timedelta(hours=3)
    assert edited.content == "new text"
    [alarm] = await stored_timers(database)
    assert alarm.expires_at == edited.due_at
    assert await service.claim(reminder.id, reminder.due_at) is None  # the old time is void
    with pytest.raises(ReminderError, match="what to change"):
        await service.edit(ALICE, reminder.id)


async def test_a_one_off_reminder_is_claimed_once(service: ReminderService) -> None:
    reminder = await service.create(request())
    claimed = await service.claim(reminder.id, reminder.due_at)
    assert claimed is not None and claimed.reminder == reminder and claimed.next_due is None
    assert await service.claim(reminder.id, reminder.due_at) is None
    assert await service.list_for(ALICE) == []


async def test_two_processes_racing_for_one_reminder_deliver_it_once(
    make_service: Callable[..., ReminderService],
) -> None:
    processes = [make_service() for _ in range(4)]
    reminder = await processes[0].create(request())
    results = await asyncio.gather(
        *(process.claim(reminder.id, reminder.due_at) for process in processes)
    )
    assert sum(result is not None for result in results) == 1


async def test_a_recurring_reminder_moves_to_its_next_time_with_a_new_alarm(
    service: ReminderService, database: Database, clock: Clock
) -> None:
    reminder = await service.create(request("tomorrow 9am", recurrence=Recurrence.DAILY))
    clock.now = reminder.due_at
    claimed = await service.claim(reminder.id, reminder.due_at)
    assert claimed is not None
    assert claimed.next_due == reminder.due_at + timedelta(days=1)
    [pending] = await service.list_for(ALICE)
    assert pending.due_at == claimed.next_due
    alarms = [
        timer for timer in await stored_timers(database) if timer.expires_at == claimed.next_due
    ]
    assert len(alarms) == 1
    stopped = await service.edit(ALICE, reminder.id, stop_repeating=True)
    assert stopped.recurrence is None


async def test_reminders_whose_alarm_was_lost_get_one_at_start(
    service: ReminderService, database: Database
) -> None:
    kept = await service.create(request("in 1h"))
    lost = await service.create(request("in 2h"))
    async with database.session() as session:  # a crash after a claim took the timer row
        await session.execute(delete(Timer).where(Timer.expires_at == lost.due_at))
        await session.commit()
    assert await service.restore_timers() == 1
    due_times = sorted(timer.expires_at for timer in await stored_timers(database))
    assert due_times == [kept.due_at, lost.due_at]
    assert await service.restore_timers() == 0


async def test_a_members_reminders_and_zone_go_with_a_deletion_request(
    service: ReminderService, database: Database
) -> None:
    await TimezoneStore(database).set_zone(ALICE, "Europe/Paris")
    await service.create(request())
    await service.create(request(user_id=BOB))
    report = await registry.delete_user(database, ALICE)
    assert report["reminders"] == 1
    assert report["user_settings"] == 1
    assert report["timers"] == 1
    async with database.session() as session:
        left = await session.scalar(select(func.count()).select_from(ReminderRow))
    assert left == 1
    assert str(await TimezoneStore(database).zone_of(ALICE)) == "UTC"
