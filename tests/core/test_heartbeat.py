"""Heartbeats on SQLite and the real PostgreSQL: what /fleet status reads about each bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from botfleet import bot_names
from botfleet.bots.utility.commands.fleet import status_line
from botfleet.core.heartbeat import (
    BotState,
    BotStatus,
    Heartbeat,
    Vitals,
    describe_status,
    read_fleet_status,
)
from botfleet.database import Database

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def make_heartbeat(
    database: Database,
    clock: Clock,
    bot_name: str,
    instance: str,
    vitals: Callable[[], Vitals] = lambda: Vitals(latency_ms=42, guild_count=3, shard_count=1),
) -> Heartbeat:
    return Heartbeat(
        database,
        vitals,
        bot_name=bot_name,
        version="1.2.3",
        interval=30,
        instance=instance,
        clock=clock,
    )


async def status_of(database: Database, clock: Clock, bot_name: str) -> BotStatus:
    statuses = {item.bot_name: item for item in await read_fleet_status(database, now=clock.now)}
    assert list(statuses) == list(bot_names())
    return statuses[bot_name]


async def test_bots_are_online_until_they_miss_three_beats(database: Database) -> None:
    clock = Clock()
    heartbeat = make_heartbeat(database, clock, "music", "host:1")
    await heartbeat.beat()
    music = await status_of(database, clock, "music")
    assert music.state is BotState.ONLINE
    assert (music.latency_ms, music.guild_count, music.version) == (42, 3, "1.2.3")
    assert music.started_at == START
    assert (await status_of(database, clock, "utility")).state is BotState.NEVER_SEEN
    clock.now += timedelta(seconds=90)
    assert (await status_of(database, clock, "music")).state is BotState.ONLINE
    clock.now += timedelta(seconds=1)
    music = await status_of(database, clock, "music")
    assert music.state is BotState.NOT_RESPONDING
    assert music.last_seen == START


async def test_a_clean_stop_shows_at_once(database: Database) -> None:
    clock = Clock()
    heartbeat = make_heartbeat(database, clock, "mod", "host:2")
    heartbeat.start()
    await heartbeat.stop()  # the first beat may or may not have run; stop must still mark it
    await heartbeat.beat()
    heartbeat.start()
    clock.now += timedelta(seconds=5)
    await heartbeat.stop()
    status = await status_of(database, clock, "mod")
    assert status.state is BotState.STOPPED
    assert status.stopped_at == clock.now


async def test_several_processes_of_one_bot_add_up(database: Database) -> None:
    clock = Clock()
    for index in range(3):
        await make_heartbeat(
            database,
            clock,
            "grammar",
            f"host:{index}",
            lambda index=index: Vitals(latency_ms=10 * (index + 1), guild_count=5, shard_count=2),
        ).beat()
    status = await status_of(database, clock, "grammar")
    assert status.processes == 3
    assert status.latency_ms == 30  # the worst one
    assert (status.guild_count, status.shard_count) == (15, 6)


async def test_a_restart_leaves_the_bot_online_and_old_rows_are_forgotten(
    database: Database,
) -> None:
    clock = Clock()
    crashed = make_heartbeat(database, clock, "hangman", "host:old")
    await crashed.beat()
    clock.now += timedelta(minutes=10)
    await make_heartbeat(database, clock, "hangman", "host:new").beat()
    status = await status_of(database, clock, "hangman")
    assert status.state is BotState.ONLINE
    assert status.processes == 1
    clock.now += timedelta(days=8)
    await make_heartbeat(database, clock, "utility", "host:3").beat()
    status = await status_of(database, clock, "hangman")
    assert status.state is BotState.NEVER_SEEN  # both rows were a week old


def test_the_command_line_and_discord_tell_the_same_facts_of_an_online_bot() -> None:
    started = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    status = BotStatus(
        bot_name="hangman",
        state=BotState.ONLINE,
        processes=2,
        version="1.2.3",
        latency_ms=None,
        started_at=started,
        last_seen=started,
        guild_count=3,
        shard_count=1,
    )
    plain = describe_status(status, started + timedelta(hours=2))
    rich = status_line(status)
    assert plain == "online, latency n/a, up 2h, version 1.2.3, 3 servers, 1 shard, 2 processes"
    assert rich.startswith("🟢 **online** · latency n/a · up since <t:")
    assert rich.endswith(" · v1.2.3 · 3 servers, 1 shard · 2 processes")
    single = replace(status, processes=1, latency_ms=42)
    assert describe_status(single, started).endswith(
        "42 ms, up 0s, version 1.2.3, 3 servers, 1 shard"
    )
    assert status_line(single).endswith("3 servers, 1 shard")
