"""Giving freed memory back: what glibc keeps after a burst of allocations is returned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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
    assert await release_freed_memory()
    returned = held - _rss_mb()
    assert returned > BLOCK * BLOCKS / 2**20 / 2, f"only {returned:.1f} MB returned"
    assert len(kept) == BLOCK
