"""The daily post: parsing its time, arming timers, stale timers and re-arming at start."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from botfleet.bots.spelling_bee.services.game import (
    DAILY_EVENT,
    BeeService,
    next_post_at,
    parse_daily_time,
)
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.bots.spelling_bee.services.store import DailyPost
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.errors import UserError
from botfleet.services.scheduler import Scheduler

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
WORDS = WordList(["bractlet", "table", "tablet", "able", "cable", "battle"])


def test_parse_daily_time() -> None:
    assert parse_daily_time(" 8:05 ") == time(8, 5, tzinfo=UTC)
    assert parse_daily_time("23:59") == time(23, 59, tzinfo=UTC)
    for wrong in ("24:00", "8", "08:60", "noon", "8:5"):
        with pytest.raises(UserError, match="HH:MM"):
            parse_daily_time(wrong)


@given(
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_the_next_post_is_within_a_day_at_that_time(hour: int, minute: int, now: datetime) -> None:
    when = next_post_at(time(hour, minute, tzinfo=UTC), now)
    assert 0 < (when - now).total_seconds() <= 24 * 3600
    assert (when.hour, when.minute, when.second) == (hour, minute, 0)


async def timers(database: Database) -> list[Timer]:
    async with database.session() as session:
        return list(await session.scalars(select(Timer).order_by(Timer.id)))


async def test_daily_post_is_armed_fires_and_rearms(database: Database) -> None:
    scheduler = Scheduler(database, lambda *_: None, bot_name="spelling_bee", memory_threshold=0)
    bee = BeeService(database, lambda: WORDS, clock=lambda: NOON, scheduler=scheduler)
    when = await bee.set_daily(1, 100, 10, parse_daily_time("08:30"))
    assert when == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    [timer] = await timers(database)
    assert timer.event == DAILY_EVENT and timer.expires_at == when

    due = await bee.daily_due(timer.payload)
    assert due is not None
    channel_id, progress = due
    assert channel_id == 100 and progress.day == "2026-11-25"
    assert len(await timers(database)) == 2, "the next day's post is armed"

    await bee.set_daily(1, 100, 10, parse_daily_time("09:00"))
    assert await bee.daily_due(timer.payload) is None, "a changed time makes old timers stale"

    restarted = BeeService(database, lambda: WORDS, clock=lambda: NOON, scheduler=scheduler)
    assert await restarted.rearm_daily() == 1
    newest = (await timers(database))[-1]
    assert await restarted.daily_due(newest.payload) is not None
    assert await restarted.daily_due({"guild_id": "nonsense"}) is None

    assert await bee.set_daily(1, 100, 10, None) is None
    assert await bee.daily_due(newest.payload) is None, "turned off"
    assert await restarted.rearm_daily() == 0


async def test_re_arming_keeps_a_change_made_after_the_posts_were_read(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-arm (at start, or retried while the database came back) that read the posts before
    an administrator changed one does not write the old time back over the change."""
    scheduler = Scheduler(database, lambda *_: None, bot_name="spelling_bee", memory_threshold=0)
    bee = BeeService(database, lambda: WORDS, clock=lambda: NOON, scheduler=scheduler)
    await bee.set_daily(1, 100, 10, parse_daily_time("08:30"))
    read_before_the_change = await bee.store.daily_posts()
    await bee.set_daily(1, 100, 10, parse_daily_time("09:00"))  # /bee daily, meanwhile
    changed = await bee.store.daily_of(1)

    async def stale_posts() -> list[DailyPost]:
        return read_before_the_change

    monkeypatch.setattr(bee.store, "daily_posts", stale_posts)
    assert await bee.rearm_daily() == 0
    assert await bee.store.daily_of(1) == changed
    newest = (await timers(database))[-1]
    assert await bee.daily_due(newest.payload) is not None, "the administrator's timer holds"
