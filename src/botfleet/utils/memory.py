"""Giving the memory a bot freed while starting back to the system.

Start-up (imports, schema and extension set-up, the first guild payloads) frees much more than
an idle bot keeps; glibc's allocator keeps the freed heap mapped unless asked to return it.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None off Linux or on another C library (musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


async def release_freed_memory() -> bool:
    """Return the free pages of the C heap to the system (in a thread: it walks the heap);
    whether the C library could."""
    trim = malloc_trim()
    if trim is None:
        return False
    await asyncio.to_thread(trim, 0)
    log.debug("returned the memory freed at start-up to the system")
    return True
