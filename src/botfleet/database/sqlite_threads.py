"""A SQLite connection stopped twice must not wait forever (aiosqlite 0.22).

aiosqlite runs each connection in a thread that ends at the first stop request it reads.
``Connection.close()`` sends a stop request of its own and awaits the thread's answer, even
when a stop was sent already: that second request waits behind the first in a queue nobody
reads any more, and the close never returns. SQLAlchemy gets there when a query is cancelled
(a bot shutting down mid-query): it stops the connection at once and closes it gracefully in
a task of its own, which then never ended and held the event loop's close forever (a test's
teardown in this project's CI, a bot process's exit). Here a second stop waits for the thread
to end instead, which also keeps the loop open until the thread has answered the first.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

_first_stop = aiosqlite.Connection.stop


def _stop_or_wait(connection: aiosqlite.Connection) -> asyncio.Future[Any] | None:
    """aiosqlite's stop; when the connection was stopped already, the end of its thread to
    wait for (it still answers what it was asked before, while the event loop runs)."""
    if connection._running:  # aiosqlite keeps no public flag for it
        return _first_stop(connection)
    thread = connection._thread
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # garbage collected without a loop: nothing to wait in
        return None
    if not thread.is_alive():
        return None
    return asyncio.ensure_future(asyncio.to_thread(thread.join))


def make_repeated_stops_wait() -> None:
    """Install :func:`_stop_or_wait` in aiosqlite (idempotent), before a SQLite engine is made."""
    aiosqlite.Connection.stop = _stop_or_wait  # type: ignore[method-assign,assignment]
