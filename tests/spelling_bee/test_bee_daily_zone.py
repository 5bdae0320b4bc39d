"""The daily post in a server's time zone: wall-clock times across daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from botfleet.bots.spelling_bee.services.game import (
    BeeService,
    next_post_at,
    parse_daily_time,
)
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.errors import UserError
from botfleet.services.scheduler import Scheduler

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
WORDS = WordList(["bractlet", "table", "tablet", "able", "cable", "battle"])


def test_a_time_is_read_on_the_clocks_of_the_zone() -> None:
    parsed = parse_daily_time("08:30", PARIS)
    assert (parsed.replace(tzinfo=None), parsed.tzinfo) == (time(8, 30), PARIS)
    with pytest.raises(UserError, match="HH:MM"):
        parse_daily_time("8.30", PARIS)


def test_the_post_keeps_its_wall_clock_time_when_clocks_go_forward() -> None:
    at = parse_daily_time("08:30", PARIS)
    saturday = next_post_at(at, datetime(2026, 3, 28, 3, tzinfo=UTC))
    sunday = next_post_at(at, saturday)
    assert saturday == datetime(2026, 3, 28, 7, 30, tzinfo=UTC), "winter: UTC+1"
    assert sunday == datetime(2026, 3, 29, 6, 30, tzinfo=UTC), "summer from 29 March: UTC+2"
    assert sunday.astimezone(PARIS).time() == time(8, 30)


def test_the_post_keeps_its_wall_clock_time_when_clocks_go_back() -> None:
    at = parse_daily_time("07:00", NEW_YORK)
    posts = [datetime(2026, 10, 30, 12, tzinfo=UTC)]
    for _ in range(3):
        posts.append(next_post_at(at, posts[-1]))
    assert posts[1:] == [
        datetime(2026, 10, 31, 11, tzinfo=UTC),
        datetime(2026, 11, 1, 12, tzinfo=UTC),
        datetime(2026, 11, 2, 12, tzinfo=UTC),
    ], "daylight time (UTC-4) ends on 1 November"
    assert {post.astimezone(NEW_YORK).time() for post in posts[1:]} == {time(7, 0)}


def test_a_time_skipped_by_the_change_comes_after_the_jump_then_returns() -> None:
    at = parse_daily_time("02:30", PARIS)
    skipped = next_post_at(at, datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert skipped.astimezone(PARIS) == datetime(2026, 3, 29, 3, 30, tzinfo=PARIS)
    assert next_post_at(at, skipped).astimezone(PARIS).time() == time(2, 30)


def test_the_post_is_today_while_its_time_is_ahead_in_the_zone() -> None:
    at = parse_daily_time("23:00", NEW_YORK)
    now = datetime(2026, 11, 26, 2, tzinfo=UTC)  # 21:00 on the 25th in New York
    assert next_post_at(at, now) == datetime(2026, 11, 26, 4, tzinfo=UTC)


async def test_the_servers_zone_is_kept_for_later_times_and_on_restart(
    database: Database,
) -> None:
    scheduler = Scheduler(database, lambda *_: None, bot_name="spelling_bee", memory_threshold=0)
    noon = datetime(2026, 11, 25, 12, tzinfo=UTC)
    bee = BeeService(database, lambda: WORDS, clock=lambda: noon, scheduler=scheduler)
    assert await bee.daily_zone(1) == ZoneInfo("UTC")
    with pytest.raises(UserError, match="Say when too"):
        await bee.daily_time_for(1, None, "Europe/Paris")

    paris_time = await bee.daily_time_for(1, "08:30", "Europe/Paris")
    assert paris_time is not None and (paris_time.replace(tzinfo=None), paris_time.tzinfo) == (
        time(8, 30),
        PARIS,
    )
    first = await bee.set_daily(1, 100, 10, paris_time)
    assert first == datetime(2026, 11, 26, 7, 30, tzinfo=UTC)

    later = await bee.daily_time_for(1, "09:00", None)
    assert later is not None and later.tzinfo == PARIS, "the server's zone is used without one"
    moved = await bee.daily_time_for(1, None, "America/New_York")
    assert moved is not None and (moved.replace(tzinfo=None), moved.tzinfo) == (
        time(8, 30),
        NEW_YORK,
    ), "a zone alone keeps the time"
    assert await bee.set_daily(1, 100, 10, moved) == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)

    restarted = BeeService(database, lambda: WORDS, clock=lambda: noon, scheduler=scheduler)
    assert await restarted.rearm_daily() == 1
    async with database.session() as session:
        newest = (await session.scalars(select(Timer).order_by(Timer.id.desc()))).first()
    assert newest is not None and newest.expires_at == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    assert await restarted.daily_time_for(1, None, None) is None
    await restarted.set_daily(1, 100, 10, None)
    assert await restarted.daily_zone(1) == NEW_YORK, "stopping the post keeps the zone"
