"""Giving freed memory back: what glibc keeps after a burst of allocations is returned."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from pathlib import Path
from typing import Any

import pytest

from botfleet.utils import memory
from botfleet.utils.memory import release_freed_memory

BLOCK = 2048
"""Above pymalloc's 512 bytes: each block comes from the C heap, as start-up's large ones do."""
BLOCKS = 16_000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
async def test_the_heap_freed_after_start_up_goes_back_to_the_system() -> None:
    blocks = [bytes(BLOCK) for _ in range(BLOCKS)]  # about 32 MB, written to, so resident
    kept = blocks[-1]  # the top of the heap stays in use: glibc cannot simply shrink it
    del blocks
    held = _rss_mb()
    if not await release_freed_memory():
        pytest.skip("this C library has no malloc_trim (musl): nothing is handed back")
    returned = held - _rss_mb()
    assert returned > BLOCK * BLOCKS / 2**20 / 2, f"only {returned:.1f} MB returned"
    assert len(kept) == BLOCK


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_malloc_trim_is_found_without_running_ldconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    """``find_library`` spawns ``ldconfig -p`` (milliseconds, on the event loop): not used."""

    def spawns_ldconfig(name: str) -> str:
        raise AssertionError(f"find_library({name!r}) runs ldconfig")

    monkeypatch.setattr(ctypes.util, "find_library", spawns_ldconfig)
    memory.malloc_trim.cache_clear()
    try:
        trim = memory.malloc_trim()
        if trim is None:
            pytest.skip("this C library has no malloc_trim (musl)")
        declared: Any = trim  # a ctypes function: its C signature is declared
        assert (declared.argtypes, declared.restype) == ([ctypes.c_size_t], ctypes.c_int)
        assert trim(0) in (0, 1)
    finally:
        memory.malloc_trim.cache_clear()
