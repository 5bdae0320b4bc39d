"""ffprobe that hangs: the member is told, and the process never outlives its check."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from botfleet.bots.music.services.probe import probe
from botfleet.errors import UserError


def hanging_ffprobe(folder: Path) -> tuple[Path, Path]:
    """An "ffprobe" that writes its pid and then never answers."""
    pid_file = folder / "ffprobe.pid"
    program = folder / "ffprobe"
    program.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    program.chmod(0o755)
    return program, pid_file


def written(pid_file: Path) -> None:
    """Return once the program wrote its pid (it runs by then)."""
    while not pid_file.exists() or not pid_file.read_text().strip():
        time.sleep(0.02)


def gone(pid_file: Path) -> bool:
    """Whether the process that wrote ``pid_file`` has ended (and was reaped)."""
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_probe_that_takes_too_long_is_answered_and_killed(tmp_path: Path) -> None:
    program, pid_file = hanging_ffprobe(tmp_path)
    with pytest.raises(UserError, match="took too long"):
        await probe("https://example.invalid/a.ogg", executable=str(program), within=0.5)
    assert gone(pid_file)


async def test_a_cancelled_probe_leaves_no_ffprobe_running(tmp_path: Path) -> None:
    program, pid_file = hanging_ffprobe(tmp_path)
    task = asyncio.create_task(probe("https://example.invalid/a.ogg", executable=str(program)))
    await asyncio.wait_for(asyncio.to_thread(written, pid_file), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gone(pid_file)
