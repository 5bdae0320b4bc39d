"""One writer at a time among a process's connections to a SQLite file, in the order they came.

SQLite lets one connection write to a file at a time. The others wait in its busy handler, which
naps and retries (no queue: a late comer may win) and gives up after the busy timeout with
"database is locked". A write transaction of ours makes one trip through the event loop per
statement, so on a busy loop it holds the file for seconds: under ``benchmarks/soak.py`` an XP
save of 12 to 17 statements held it up to 6 s, and the timer claims, heartbeats and other XP
saves queued behind it gave up after the 5 s busy timeout (50 errors in 10,000 events; an XP
save lost on shutdown). With the gate, this process's writers wait their turn on the event loop
instead, first come first served, from a transaction's first write statement to its commit or
rollback; SQLite's busy timeout is left to cover other processes writing the same file.

A writer still waiting after the gate's timeout gets the error SQLite gives
(``database is locked``), so every caller's handling of a locked file stays as it was.

A writer waits for its turn holding its pooled connection, so the SQLite pool never makes a
session wait for one (``SQLITE_KEPT_CONNECTIONS`` in :mod:`botfleet.database.base`): the writer
whose turn it is can always open a second session, however many writers wait behind it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

WRITE_STATEMENT: Final = re.compile(
    r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE))\b", re.IGNORECASE
)
"""The statements before which the sqlite3 module opens a transaction that writes (its implicit
BEGIN), and an explicit BEGIN that takes the write lock; reads before them take no lock."""

HELD_GATE: Final = "botfleet_write_gate"
"""Key, in a pooled connection's ``info``, of the gate that connection holds."""

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
"""The gate of each file, per event loop (an asyncio lock serves one loop)."""


def gate_for(file: str) -> asyncio.Lock:
    """The running loop's gate of ``file``: every engine of this process on it shares one."""
    gates = _gates.setdefault(asyncio.get_running_loop(), {})
    return gates.setdefault(file, asyncio.Lock())


async def _take_turn(gate: asyncio.Lock, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await gate.acquire()


def install_write_gate(engine: AsyncEngine, file: str, timeout: float) -> None:
    """Make ``engine``'s write transactions on ``file`` take turns (see the module's text).

    ``timeout``: the seconds a writer waits for its turn before "database is locked".
    """

    def before_execute(
        connection: Connection,
        _cursor: Any,
        statement: str,
        *_: Any,
    ) -> None:
        if HELD_GATE in connection.info or WRITE_STATEMENT.match(statement) is None:
            return
        gate = gate_for(file)
        try:
            await_(_take_turn(gate, timeout))
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (no turn to write within {timeout:g} s)"
            ) from None
        connection.info[HELD_GATE] = gate

    def transaction_ended(connection: Connection) -> None:
        if not connection.invalidated:  # an invalidated one is released by the pool's event
            _release(connection.info)

    def connection_released(_dbapi_connection: Any, record: ConnectionPoolEntry, *_: Any) -> None:
        # A connection returned or invalidated without its commit or rollback (a cancelled task).
        _release(record.info)

    event.listen(engine.sync_engine, "before_cursor_execute", before_execute)
    event.listen(engine.sync_engine, "commit", transaction_ended)
    event.listen(engine.sync_engine, "rollback", transaction_ended)
    event.listen(engine.sync_engine.pool, "checkin", connection_released)
    event.listen(engine.sync_engine.pool, "invalidate", connection_released)


def _release(info: dict[Any, Any]) -> None:
    """Let the next writer in; the commit itself follows in this connection's thread, and a
    next writer that reaches the file first waits for it in SQLite's busy handler (ms)."""
    gate: asyncio.Lock | None = info.pop(HELD_GATE, None)
    if gate is not None:
        gate.release()
