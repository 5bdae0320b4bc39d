"""A SQLite connection stopped twice must not wait forever (aiosqlite 0.22).

aiosqlite runs each connection in a thread that ends at the first stop request it reads.
``Connection.close()`` sends a stop request of its own and awaits the thread's answer, even
when a stop was sent already: that second request waits behind the first in a queue nobody
reads any more, and the close never returns. SQLAlchemy gets there when a query is cancelled
(a bot shutting down mid-query): it stops the connection at once and closes it gracefully in
a task of its own, which then never ended and held the event loop's close forever (a test's
teardown in this project's CI, a bot process's exit). Here a second stop asks for nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

_first_stop = aiosqlite.Connection.stop


def _stop_once(connection: aiosqlite.Connection) -> asyncio.Future[Any] | None:
    """aiosqlite's stop, or nothing to wait for when the connection was stopped already."""
    if not connection._running:  # aiosqlite keeps no public flag for it
        return None
    return _first_stop(connection)


def stop_connections_once() -> None:
    """Install :func:`_stop_once` (idempotent): before the first SQLite engine is made."""
    aiosqlite.Connection.stop = _stop_once  # type: ignore[method-assign,assignment]
