"""Heartbeats: each bot process says it is alive, and anyone can read the fleet's state.

Every bot is its own process, so the Utility Bot cannot ask the Music Bot how it is. Instead each
process writes one row of ``bot_heartbeats`` every ``bot.heartbeat_interval`` seconds (version,
gateway latency, guilds, shards, when it started) and stamps ``stopped_at`` on a clean shutdown.
The database is the one store every process of a fleet shares on every setup (a SQLite file on a
laptop, PostgreSQL in production), which is why heartbeats live there and not in the cache:
without Redis, the cache is private to each process.

A row whose last beat is older than three of its own intervals means the process died or hung.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from botfleet import bot_names
from botfleet.database import migrate
from botfleet.database.base import Database, DatabaseConfigError, display_url
from botfleet.database.models.heartbeat import BotHeartbeat
from botfleet.utils.helpers import format_time
from botfleet.utils.tasks import cancel_and_wait
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

MISSED_BEATS_FOR_SILENCE: Final = 3
"""A process that missed this many beats in a row counts as not responding."""

FORGET_AFTER: Final = timedelta(days=7)
"""Rows of processes silent for this long are removed (old pids after restarts)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def instance_name() -> str:
    """``host:pid``: tells apart two processes of one bot, on one machine or several."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Vitals:
    """What a bot process reports about itself at each beat."""

    latency_ms: int | None
    guild_count: int
    shard_count: int


class Heartbeat:
    """Writes one process's heartbeat row on a timer; marks it stopped on :meth:`stop`.

    A failed write (database down) is logged once per outage and retried at the next beat: a
    heartbeat must never take the bot down with it.
    """

    def __init__(
        self,
        database: Database,
        vitals: Callable[[], Vitals],
        *,
        bot_name: str,
        version: str,
        interval: float,
        instance: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.bot_name = bot_name
        self.instance = instance or instance_name()
        self.interval = interval
        self._database = database
        self._vitals = vitals
        self._version = version
        self._clock = clock
        self._started_at = clock()
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def beat(self) -> None:
        """Write the row now: insert it the first time, update it after."""
        now = self._clock()
        vitals = self._vitals()
        values = {
            "version": self._version,
            "started_at": self._started_at,
            "last_seen": now,
            "interval_seconds": self.interval,
            "latency_ms": vitals.latency_ms,
            "guild_count": vitals.guild_count,
            "shard_count": vitals.shard_count,
            "stopped_at": None,
        }
        statement = self._database.upsert(BotHeartbeat).values(
            bot_name=self.bot_name, instance=self.instance, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["bot_name", "instance"], set_=values
        )
        forget = delete(BotHeartbeat).where(BotHeartbeat.last_seen < now - FORGET_AFTER)
        async with self._database.session() as session:
            await session.execute(statement)
            await session.execute(forget)
            await session.commit()

    def start(self) -> None:
        """Beat now and then every interval, in a background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"heartbeat-{self.bot_name}")

    async def stop(self) -> None:
        """Stop beating and stamp the row stopped, so /fleet status says so at once."""
        if self._task is None:
            return
        await cancel_and_wait(self._task)
        self._task = None
        statement = (
            update(BotHeartbeat)
            .where(BotHeartbeat.bot_name == self.bot_name, BotHeartbeat.instance == self.instance)
            .values(stopped_at=self._clock())
        )
        async with self._database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except (OSError, SQLAlchemyError) as exc:
                if not self._failing:
                    log.warning("heartbeat of %s not written: %r", self.bot_name, exc)
                self._failing = True
            else:
                if self._failing:
                    log.info("heartbeat of %s written again", self.bot_name)
                self._failing = False
            await asyncio.sleep(self.interval)


class BotState(StrEnum):
    """What /fleet status says about one bot."""

    ONLINE = "online"
    NOT_RESPONDING = "not responding"
    """Its last beat is late: the process died, hung, or lost the database."""
    STOPPED = "stopped"
    """It shut down cleanly."""
    NEVER_SEEN = "never started"
    """No process of it ever wrote a heartbeat to this database."""


@dataclass(frozen=True, slots=True)
class BotStatus:
    """One bot of the fleet, summed over its live processes."""

    bot_name: str
    state: BotState
    processes: int = 0
    """Live processes (more than one when its shards run in several)."""
    version: str | None = None
    latency_ms: int | None = None
    """The worst latency among its live processes."""
    started_at: datetime | None = None
    last_seen: datetime | None = None
    stopped_at: datetime | None = None
    guild_count: int = 0
    shard_count: int = 0

    @property
    def latency_text(self) -> str:
        """``42 ms``, or ``latency n/a`` before the first measure."""
        return f"{self.latency_ms} ms" if self.latency_ms is not None else "latency n/a"

    @property
    def reach(self) -> str:
        """``3 servers, 1 shard``."""
        return f"{plural(self.guild_count, 'server')}, {plural(self.shard_count, 'shard')}"

    @property
    def processes_text(self) -> str | None:
        """``2 processes`` when its shards run in several; None for the usual one."""
        if self.processes <= 1:
            return None
        return plural(self.processes, "process", "processes")


def _is_live(row: BotHeartbeat, now: datetime) -> bool:
    deadline = row.last_seen + timedelta(seconds=row.interval_seconds * MISSED_BEATS_FOR_SILENCE)
    return row.stopped_at is None and now <= deadline


def summarize(bot_name: str, rows: Iterable[BotHeartbeat], now: datetime) -> BotStatus:
    """The state of one bot from the heartbeat rows of its processes."""
    rows = list(rows)
    if not rows:
        return BotStatus(bot_name, BotState.NEVER_SEEN)
    live = [row for row in rows if _is_live(row, now)]
    if live:
        latencies = [row.latency_ms for row in live if row.latency_ms is not None]
        newest = max(live, key=lambda row: row.last_seen)
        return BotStatus(
            bot_name,
            BotState.ONLINE,
            processes=len(live),
            version=newest.version,
            latency_ms=max(latencies) if latencies else None,
            started_at=min(row.started_at for row in live),
            last_seen=newest.last_seen,
            guild_count=sum(row.guild_count for row in live),
            shard_count=sum(row.shard_count for row in live),
        )
    latest = max(rows, key=lambda row: row.last_seen)
    state = BotState.STOPPED if latest.stopped_at is not None else BotState.NOT_RESPONDING
    return BotStatus(
        bot_name,
        state,
        version=latest.version,
        last_seen=latest.last_seen,
        stopped_at=latest.stopped_at,
    )


async def read_fleet_status(database: Database, *, now: datetime | None = None) -> list[BotStatus]:
    """Every bot of the fleet in the fleet's order, with the ones never seen included."""
    async with database.session() as session:
        rows = (await session.scalars(select(BotHeartbeat))).all()
    moment = now or _utcnow()
    by_bot: dict[str, list[BotHeartbeat]] = {}
    for row in rows:
        by_bot.setdefault(row.bot_name, []).append(row)
    return [summarize(name, by_bot.get(name, ()), moment) for name in bot_names()]


def describe_status(status: BotStatus, now: datetime) -> str:
    """One line of plain text about a bot, for the command line."""
    if status.state is BotState.ONLINE:
        assert status.started_at is not None
        uptime = format_time(max(int((now - status.started_at).total_seconds()), 0))
        processes = f", {status.processes_text}" if status.processes_text else ""
        return (
            f"online, {status.latency_text}, up {uptime}, version {status.version}, "
            f"{status.reach}{processes}"
        )
    if status.state is BotState.STOPPED:
        assert status.stopped_at is not None
        return f"stopped at {status.stopped_at:%Y-%m-%d %H:%M:%S} UTC"
    if status.state is BotState.NOT_RESPONDING:
        assert status.last_seen is not None
        silent = format_time(max(int((now - status.last_seen).total_seconds()), 1))
        return f"NOT RESPONDING: last heartbeat {silent} ago"
    return "never started on this database"


async def fleet_status_at(url: str) -> list[BotStatus]:
    """The fleet's state read from the database at ``url`` (for ``botfleet status``)."""
    schema = await migrate.schema_state(url)
    if not schema.latest:
        raise DatabaseConfigError(
            f"the database at {display_url(url)} is not at the latest schema "
            f"(revision {schema.revision or 'none'}); run `botfleet db upgrade` first"
        )
    database = Database(url)
    try:
        return await read_fleet_status(database)
    finally:
        await database.dispose()
