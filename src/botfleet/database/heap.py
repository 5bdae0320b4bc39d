"""Giving back the C heap that SQLite connections freed, so that a long run's memory stays flat.

aiosqlite runs each connection in a thread of its own, and glibc serves each thread that
allocates from an arena of its own; what a connection frees (pages of its cache, prepared
statements, a whole connection the pool closed) stays mapped in that arena. Under
``benchmarks/soak.py`` on SQLite the arenas' free memory grew by 50 MB while the memory in use
stayed flat: the resident set grew with it. glibc's ``malloc_trim`` returns the free pages of
every arena to the system; it walks the heap, so it runs in a worker thread, at most once per
``TRIM_INTERVAL`` seconds, when a connection goes back to the pool (a bot that is idle has
nothing new to give back). Each bot also trims once it is ready (:mod:`botfleet.utils.memory`),
for the memory start-up freed.

Trimming gives back whole free pages only; what the arenas keep between them grows with their
number. SQLite's threads share two arenas (:data:`SQLITE_MALLOC_ARENAS`): the soak's memory
then stays within its bound, at the same latency (docs/RELIABILITY.md has the runs).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from botfleet.utils.memory import cap_malloc_arenas, malloc_trim

log = logging.getLogger(__name__)

SQLITE_MALLOC_ARENAS: Final = 2
"""Arenas glibc makes for a process with a SQLite file (the main thread's and one the
connections' threads share), unless the operator set ``MALLOC_ARENA_MAX``."""

TRIM_INTERVAL: Final = 10.0
"""Seconds between two trims: a trim costs a few ms of a worker thread."""

_next_trim = 0.0


def trim_heap_now_and_then(*_: Any) -> None:
    """Return the heap's free pages to the system in a worker thread, unless that was done
    less than ``TRIM_INTERVAL`` seconds ago (a pool event's listener: its arguments unused)."""
    global _next_trim  # noqa: PLW0603  (one heap per process, so one schedule)
    trim = malloc_trim()
    now = time.monotonic()
    if trim is None or now < _next_trim:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a connection given back by the garbage collector, off the loop
        return
    _next_trim = now + TRIM_INTERVAL
    loop.run_in_executor(None, trim, 0)


def share_arenas_among_sqlite_threads() -> None:
    """Cap glibc's arenas before the first SQLite connection starts its thread: each would
    otherwise get an arena of its own, up to eight per core, keeping what it freed."""
    if cap_malloc_arenas(SQLITE_MALLOC_ARENAS):
        log.debug("asked glibc for at most %d malloc arenas", SQLITE_MALLOC_ARENAS)
