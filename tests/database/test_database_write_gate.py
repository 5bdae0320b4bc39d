"""SQLite writers of one process take turns on the event loop instead of failing after the busy
timeout: a transaction held across awaits (as on a busy loop) no longer locks the others out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from botfleet.config.schema import DatabaseSection
from botfleet.database import Database
from botfleet.database import base as database_base

BUSY_TIMEOUT_MS = 100
"""SQLite's own wait, shrunk so that a writer held longer than it is quick to stage."""
HELD_SECONDS = 0.5
"""How long a transaction holds the file: several busy timeouts."""
WAIT_SECONDS = 10.0
"""Bound for things that should happen within a fraction of a second; only hit on failure."""


@pytest.fixture
async def open_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Database]]:
    """Opens Databases on one SQLite file with a table ``entries``; all closed afterwards."""
    monkeypatch.setattr(database_base, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    url = f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}"
    opened: list[Database] = []

    def open_one(section: DatabaseSection | None = None) -> Database:
        database = Database(url, section)
        opened.append(database)
        return database

    async with open_one().engine.begin() as connection:
        await connection.execute(text("CREATE TABLE entries (n INTEGER PRIMARY KEY)"))
    yield open_one
    for database in opened:
        await database.dispose()


class Holder:
    """A write transaction that inserts its first row, then keeps the file until released."""

    def __init__(self, database: Database, *numbers: int) -> None:
        self.wrote = asyncio.Event()
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._write(database, numbers))

    async def _write(self, database: Database, numbers: tuple[int, ...]) -> None:
        async with database.session() as session:
            for number in numbers:
                await session.execute(text("INSERT INTO entries (n) VALUES (:n)"), {"n": number})
                self.wrote.set()
                await self.release.wait()
            await session.commit()

    async def holding(self) -> Holder:
        await asyncio.wait_for(self.wrote.wait(), WAIT_SECONDS)
        return self


async def _add(database: Database, *numbers: int) -> None:
    async with database.session() as session:
        for number in numbers:
            await session.execute(text("INSERT INTO entries (n) VALUES (:n)"), {"n": number})
        await session.commit()


async def _entries(database: Database) -> list[int]:
    async with database.session() as session:
        return list((await session.scalars(text("SELECT n FROM entries ORDER BY rowid"))).all())


async def test_a_writer_waits_its_turn_behind_a_transaction_held_past_the_busy_timeout(
    open_database: Callable[..., Database],
) -> None:
    first, second = open_database(), open_database()  # two bots' engines in one process
    holder = await Holder(first, 1, 2).holding()
    waiting = asyncio.create_task(_add(second, 3))
    await asyncio.sleep(HELD_SECONDS)  # several busy timeouts, as an XP save on a busy loop
    assert not waiting.done()
    holder.release.set()

    await asyncio.wait_for(asyncio.gather(holder.task, waiting), WAIT_SECONDS)
    assert await _entries(second) == [1, 2, 3]


async def test_readers_are_not_held_behind_a_writer(
    open_database: Callable[..., Database],
) -> None:
    database = open_database()
    await _add(database, 1)
    holder = await Holder(database, 2).holding()

    assert await asyncio.wait_for(_entries(database), WAIT_SECONDS) == [1]
    holder.release.set()
    await asyncio.wait_for(holder.task, WAIT_SECONDS)


async def test_the_turn_passes_on_after_a_rollback_a_failed_write_and_a_cancelled_writer(
    open_database: Callable[..., Database],
) -> None:
    database = open_database(DatabaseSection(pool_timeout=2))  # a kept turn fails the next
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await session.execute(text("INSERT INTO entries (n) VALUES (1)"))
            raise RuntimeError("the caller gave up")
    await _add(database, 2)
    with pytest.raises(IntegrityError):
        await _add(database, 2)
    await _add(database, 3)
    cancelled = await Holder(database, 4).holding()
    cancelled.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled.task

    await asyncio.wait_for(_add(database, 5), WAIT_SECONDS)
    assert await _entries(database) == [2, 3, 5]


async def test_a_writer_cancelled_while_waiting_its_turn_ends_cancelled_and_the_turn_goes_on(
    open_database: Callable[..., Database],
) -> None:
    database = open_database(DatabaseSection(pool_timeout=2))
    holder = await Holder(database, 1).holding()
    waiting = asyncio.create_task(_add(database, 2))
    await asyncio.sleep(HELD_SECONDS)
    waiting.cancel()

    with pytest.raises(asyncio.CancelledError):
        await waiting
    holder.release.set()
    await asyncio.wait_for(holder.task, WAIT_SECONDS)
    await _add(database, 3)
    assert await _entries(database) == [1, 3]


async def test_a_writer_that_gets_no_turn_in_time_is_told_the_database_is_locked(
    open_database: Callable[..., Database],
) -> None:
    database = open_database(DatabaseSection(pool_timeout=0.2))
    holder = await Holder(database, 1).holding()

    with pytest.raises(OperationalError, match="database is locked \\(no turn to write"):
        await _add(database, 2)
    holder.release.set()
    await asyncio.wait_for(holder.task, WAIT_SECONDS)
    await _add(database, 3)
    assert await _entries(database) == [1, 3]


async def test_the_turns_holder_reads_through_a_second_session_while_waiting_writers_hold_the_pool(
    open_database: Callable[..., Database],
) -> None:
    """A store called inside a write transaction may open a session of its own: it must never
    wait for a pooled connection held by a writer that waits for this very transaction."""
    section = DatabaseSection()  # the shipped pool, and its 30 s pool_timeout
    database = open_database(section)
    await _add(database, 1)
    holder = await Holder(database, 2).holding()
    pool_limit = section.pool_size + section.max_overflow
    pool = database.engine.sync_engine.pool
    pool_held = asyncio.Event()

    def note_checkout(*_: object) -> None:
        if pool.checkedout() >= pool_limit:  # type: ignore[attr-defined]
            pool_held.set()

    event.listen(pool, "checkout", note_checkout)
    waiting = [asyncio.create_task(_add(database, 3 + n)) for n in range(pool_limit)]
    await asyncio.wait_for(pool_held.wait(), WAIT_SECONDS)
    await asyncio.sleep(HELD_SECONDS)
    assert not any(writer.done() for writer in waiting)

    assert await asyncio.wait_for(_entries(database), WAIT_SECONDS) == [1]
    holder.release.set()
    await asyncio.wait_for(asyncio.gather(holder.task, *waiting), WAIT_SECONDS)
    assert await _entries(database) == [1, 2, *range(3, 3 + pool_limit)]
