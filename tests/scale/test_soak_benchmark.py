"""benchmarks/soak.py at a tiny size, so that it cannot rot: the whole fleet in one process on
the test's own PostgreSQL database and on a SQLite file of its own, every event handled, no
error, its figures printed."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from botfleet import bot_names

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
EVENTS = 48
MEMBERS = 20


@pytest.fixture
def soak_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import soak  # noqa: PLC0415  (benchmarks/ is on the path from here on)

    return soak


@pytest.mark.postgres
async def test_a_tiny_soak_handles_every_event_without_error(
    soak_module: ModuleType, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _soak_handles_every_event_without_error(soak_module, postgres_url, capsys)


async def test_a_tiny_soak_on_sqlite_handles_every_event_without_error(
    soak_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    await _soak_handles_every_event_without_error(soak_module, None, capsys)


async def _soak_handles_every_event_without_error(
    soak_module: ModuleType, database_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await soak_module.soak(EVENTS, MEMBERS, 4, database_url)
    tally = figures.tally
    assert sum(tally.sent.values()) == EVENTS
    assert set(tally.sent) == {"message", "command", "button"}
    assert tally.handled == tally.sent
    assert tally.unanswered == []
    assert figures.output.errors == []
    assert figures.counted_errors == 0
    buttons, commands = tally.sent["button"], tally.sent["command"]
    assert len(tally.latencies["button"]) == buttons
    assert len(tally.latencies["command"]) == commands + buttons  # each button's quiz first
    assert set(tally.commands_by_bot) == set(bot_names())
    assert all(rss > 0 for rss in figures.rss_mb)
    assert figures.bot_posts > 0  # the Utility Bot's achievements for first chat messages
    soak_module.report(figures)
    printed = capsys.readouterr().out
    assert f"events handled: {EVENTS}" in printed
    assert f"bots: {', '.join(bot_names())} (one process)" in printed
    assert "errors: 0 (" in printed
