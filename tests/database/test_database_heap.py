"""SQLite connections going back to the pool give the C heap's free pages back to the system,
at most once per interval, off the event loop."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from botfleet.database import Database, heap
from botfleet.database.base import SQLITE_DRIVER
from botfleet.database.heap import SQLITE_MALLOC_ARENAS

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


ARENAS_AFTER_SESSIONS = """
import asyncio, ctypes, os, sys, tempfile
from sqlalchemy import text
from botfleet.database import Database

async def sessions_at_once(url: str) -> None:
    database = Database(url)
    async def use() -> None:
        async with database.session() as session:
            await session.execute(text("SELECT 1"))
            await asyncio.sleep(0.2)  # every session (and its connection's thread) at once
    await asyncio.gather(*(use() for _ in range(12)))
    await database.dispose()

with tempfile.TemporaryDirectory() as folder:
    url = sys.argv[1].replace("FOLDER", folder)
    asyncio.run(sessions_at_once(url))
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    report = os.path.join(folder, "malloc.xml")
    stream = libc.fopen(report.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    with open(report) as xml:
        print(xml.read().count("<heap nr="))
"""
"""Runs twelve sessions at once on a fresh process's database (its URL, FOLDER a temporary
folder), then prints how many arenas glibc made (``malloc_info``'s heaps)."""


def arenas_after_sessions(url: str, **environment: str) -> int:
    variables = {
        k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")
    }
    done = subprocess.run(
        [sys.executable, "-c", ARENAS_AFTER_SESSIONS, url],
        env={**variables, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_sqlite_threads_share_two_arenas_unless_the_operator_chose() -> None:
    """Each aiosqlite connection runs in a thread, and glibc gives each new thread an arena
    (up to eight per core) that keeps what it freed: a process with a SQLite file makes two.
    An operator's ``MALLOC_ARENA_MAX`` is kept (sixteen: one per thread, as without the cap)."""
    url = f"{SQLITE_DRIVER}:///FOLDER/arenas.db"
    assert arenas_after_sessions(url) == SQLITE_MALLOC_ARENAS
    assert arenas_after_sessions(url, MALLOC_ARENA_MAX="4") == 4
    assert arenas_after_sessions(url, MALLOC_ARENA_MAX="16") > 4
