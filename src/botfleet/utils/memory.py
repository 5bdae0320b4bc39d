"""Giving the memory a bot freed while starting back to the system.

Start-up (imports, schema and extension set-up, the first guild payloads) frees much more than
an idle bot keeps; glibc's allocator keeps the freed heap mapped unless asked to return it.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None off Linux or on another C library (musl).

    Looked up in the symbols the process already has (``CDLL(None)``), not through
    ``ctypes.util.find_library``, which runs ``ldconfig -p`` and blocks the event loop.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        process = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(process, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    found: Callable[[int], int] = trim
    return found


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
