"""`botfleet run --all` keeps each bot in its own process and restarts the ones that crash."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from botfleet.core.supervisor import BOT_PYTHON_OPTIONS, Supervisor
from botfleet.errors import EXIT_CONFIG_ERROR


def script(tmp_path: Path, name: str, body: str) -> tuple[str, ...]:
    path = tmp_path / f"{name}.py"
    path.write_text(body, encoding="utf-8")
    return (sys.executable, str(path))


async def test_crashing_bot_is_restarted_until_it_succeeds(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    crashy = script(
        tmp_path,
        "crashy",
        f"""
import pathlib, sys
runs = pathlib.Path({str(counter)!r})
count = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(count))
sys.exit(0 if count >= 3 else 1)
""",
    )
    supervisor = Supervisor({"crashy": crashy}, first_delay=0.05)
    assert await asyncio.wait_for(supervisor.run(), 20) == 0
    assert counter.read_text() == "3"
    assert supervisor.children[0].restarts == 2


async def test_configuration_error_is_not_restarted(tmp_path: Path) -> None:
    broken = script(tmp_path, "broken", f"import sys; sys.exit({EXIT_CONFIG_ERROR})")
    healthy = script(tmp_path, "healthy", "pass")
    supervisor = Supervisor({"broken": broken, "healthy": healthy}, first_delay=0.05)
    assert await asyncio.wait_for(supervisor.run(), 20) == EXIT_CONFIG_ERROR
    assert [child.restarts for child in supervisor.children] == [0, 0]


async def test_stop_request_reaches_every_child(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    waiting = script(
        tmp_path,
        "waiting",
        f"""
import pathlib, signal, sys, time
def stop(*_):
    pathlib.Path({str(marker)!r}).write_text("clean")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
pathlib.Path({str(tmp_path / "started")!r}).write_text("yes")
time.sleep(60)
""",
    )
    supervisor = Supervisor({"waiting": waiting}, first_delay=0.05)
    running = asyncio.create_task(supervisor.run())
    for _ in range(200):
        if (tmp_path / "started").exists():
            break
        await asyncio.sleep(0.05)
    supervisor.request_stop()
    assert await asyncio.wait_for(running, 20) == 0
    assert marker.read_text() == "clean"


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(
    tmp_path: Path,
) -> None:
    stubborn = script(
        tmp_path,
        "stubborn",
        f"""
import pathlib, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path({str(tmp_path / "started")!r}).write_text("yes")
time.sleep(60)
""",
    )
    supervisor = Supervisor({"stubborn": stubborn}, first_delay=0.05, grace_period=0.3)
    running = asyncio.create_task(supervisor.run())
    for _ in range(200):
        if (tmp_path / "started").exists():
            break
        await asyncio.sleep(0.05)
    supervisor.request_stop()
    assert await asyncio.wait_for(running, 20) == 0
    process = supervisor.children[0].process
    assert process is not None and process.returncode == -9


async def test_a_stop_during_a_restart_delay_ends_supervision(tmp_path: Path) -> None:
    crashing = script(tmp_path, "crashing", "import sys; sys.exit(1)")
    supervisor = Supervisor({"crashing": crashing}, first_delay=30)
    running = asyncio.create_task(supervisor.run())
    for _ in range(200):
        if supervisor.children[0].restarts:
            break
        await asyncio.sleep(0.05)
    supervisor.request_stop()
    assert await asyncio.wait_for(running, 5) == 0
    assert supervisor.children[0].restarts == 1


def test_each_bot_process_runs_without_docstrings() -> None:
    """``botfleet run`` starts a bot as ``python -OO`` (issue 16: about 6 MB of an idle bot);
    ``test_optimized_bots.py`` shows the bots look the same to members that way."""
    (child,) = Supervisor.for_bots(["hangman"]).children
    assert child.argv == (sys.executable, *BOT_PYTHON_OPTIONS, "-m", "botfleet.bots.hangman")
    assert BOT_PYTHON_OPTIONS == ("-OO", "-X", "no_debug_ranges")
