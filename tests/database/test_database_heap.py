"""SQLite connections going back to the pool give the C heap's free pages back to the system,
at most once per interval, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from botfleet.database import Database, heap

WAIT_SECONDS = 10.0
"""Bound for a worker thread's call that comes within milliseconds; only hit on failure."""


class FakeTrim:
    """Stands for glibc's ``malloc_trim``: records the thread of each call."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.called = threading.Event()

    def __call__(self, pad: int) -> int:
        assert pad == 0
        self.threads.append(threading.get_ident())
        self.called.set()
        return 1

    async def next_call(self) -> None:
        assert await asyncio.to_thread(self.called.wait, WAIT_SECONDS)
        self.called.clear()


async def _use(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("SELECT 1"))


async def test_connections_back_in_the_pool_trim_the_heap_at_most_once_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trim = FakeTrim()
    monkeypatch.setattr(heap, "malloc_trim", lambda: trim)
    monkeypatch.setattr(heap, "_next_trim", 0.0)
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}")
    try:
        for _ in range(3):
            await _use(database)
        await trim.next_call()
        assert len(trim.threads) == 1
        assert trim.threads[0] != threading.get_ident()  # not on the event loop

        monkeypatch.setattr(heap, "_next_trim", 0.0)  # the interval has passed
        await _use(database)
        await trim.next_call()
        assert len(trim.threads) == 2
    finally:
        await database.dispose()
