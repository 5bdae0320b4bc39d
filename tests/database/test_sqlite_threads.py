"""A SQLite connection stopped, then closed, closes: the shape SQLAlchemy gives a query
cancelled mid-flight (it stops the connection at once and closes it in a task of its own).
With aiosqlite 0.22 alone that close waited forever and held the event loop's close; it now
waits for the thread to answer and end, while the loop can still hear it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiosqlite
import pytest

from botfleet.database.sqlite_threads import make_repeated_stops_wait


async def test_a_connection_stopped_during_a_query_then_closed_does_not_wait_forever(
    tmp_path: Path,
) -> None:
    make_repeated_stops_wait()
    connection = await aiosqlite.connect(tmp_path / "botfleet.db")
    await connection.create_function("pause", 1, time.sleep)
    busy = asyncio.create_task(connection.execute("SELECT pause(0.2)"))
    await asyncio.sleep(0.05)  # its thread is in the query
    connection.stop()  # as SQLAlchemy stops a connection whose query was cancelled
    with pytest.raises(ValueError, match="Connection closed"):
        async with asyncio.timeout(5):
            await connection.close()
    assert busy.done()  # the close waited for the thread: the query answered, then it ended
    assert not connection._thread.is_alive()
    await busy
