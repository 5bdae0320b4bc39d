"""Giving the memory a bot freed back to the system, and keeping threads from hoarding it.

Start-up (imports, schema and extension set-up, the first guild payloads) frees much more than
an idle bot keeps; glibc's allocator keeps the freed heap mapped unless asked to return it.
glibc also gives each new thread an arena of its own (up to eight per core), each keeping what
its thread freed: :func:`cap_malloc_arenas` is for processes that run many short threads.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, Final

log = logging.getLogger(__name__)

M_ARENA_MAX: Final = -8
"""``mallopt``'s parameter for the most arenas glibc makes (``malloc.h``)."""


@functools.cache
def _glibc_function(name: str) -> Any | None:
    """A function of glibc's allocator, or None off Linux or on another C library (musl).

    Looked up in the symbols the process already has (``CDLL(None)``), not through
    ``ctypes.util.find_library``, which runs ``ldconfig -p`` and blocks the event loop.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        process = ctypes.CDLL(None)
    except OSError:
        return None
    return getattr(process, name, None)


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    trim = _glibc_function("malloc_trim")
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    found: Callable[[int], int] = trim
    return found


def cap_malloc_arenas(arenas: int) -> bool:
    """Ask glibc to make at most ``arenas`` arenas; whether it was asked.

    An operator's own choice wins: ``MALLOC_ARENA_MAX`` or the ``glibc.malloc.arena_max``
    tunable, which glibc read at start. Call it before the threads start: arenas made already
    stay, and glibc fixes its limit for good the first time a process needs a ninth arena (a
    later call then changes nothing, though glibc still accepts it).
    """
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if os.environ.get("MALLOC_ARENA_MAX") or "arena_max" in tunables:
        return False
    mallopt = _glibc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


def give_back_freed_heap() -> None:
    """Return the C heap's free pages to the system now (blocking: call it in a thread, after
    dropping what a load built); nothing where the C library cannot."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)


async def release_freed_memory() -> bool:
    """Return the free pages of the C heap to the system (in a thread: it walks the heap);
    whether the C library could."""
    if malloc_trim() is None:
        return False
    await asyncio.to_thread(give_back_freed_heap)
    log.debug("returned the memory freed at start-up to the system")
    return True
