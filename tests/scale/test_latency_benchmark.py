"""benchmarks/latency.py keeps running: every bot's command, the Hangman button, logins.

The benchmark runs as its README line runs it, with a handful of runs; its figures are read
for their shape only (each series counted, the bot's side inside the member's round trip),
never for their speed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from botfleet import bot_names

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "latency.py"
RUNS = 3
SERIES = re.compile(
    r"^(?P<label>.+?)\s+round trip p50\s+(?P<trip50>[\d.]+) p99\s+(?P<trip99>[\d.]+)"
    r" \| bot side p50\s+(?P<side50>[\d.]+) p99\s+(?P<side99>[\d.]+) ms  \(n=(?P<n>\d+)\)$"
)
LOGIN = re.compile(
    r"^(?P<label>.+?)\s+login to ready median\s+(?P<median>[\d.]+) first\s+[\d.]+"
    r" \| to READY frame median\s+(?P<frame>[\d.]+) ms"
    r" \| loop CPU median\s+(?P<cpu>[\d.]+) ms  \(n=(?P<n>\d+)\)$"
)


def test_every_figure_is_printed_for_every_bot_and_the_baseline(tmp_path: Path) -> None:
    arguments = ["--runs", str(RUNS), "--presses", str(RUNS), "--logins", "2"]
    finished = subprocess.run(
        [sys.executable, str(BENCHMARK), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    lines = finished.stdout.splitlines()
    series = {match["label"]: match for line in lines if (match := SERIES.match(line))}
    logins = {match["label"]: match for line in lines if (match := LOGIN.match(line))}

    expected_series = {
        "baseline: bare client, /ping",
        "baseline: bare client, button",
        "grammar: /grammar stats",
        "hangman: /hangman stats",
        "hangman: letter button",
        "mod: /raid status",
        "music: /queue",
        "spelling_bee: /bee status",
        "utility: /serverinfo",
    }
    assert set(series) == expected_series, finished.stdout
    assert set(logins) == {"baseline: bare client", *bot_names()}, finished.stdout
    for figures in series.values():
        assert int(figures["n"]) == RUNS
        assert float(figures["trip50"]) >= float(figures["side50"]), "the bot's side is inside"
        assert float(figures["trip99"]) >= float(figures["side99"]), "the bot's side is inside"
    for figures in logins.values():
        assert int(figures["n"]) == 2
        assert float(figures["median"]) >= float(figures["frame"]), "READY comes before ready"
        assert float(figures["median"]) >= float(figures["cpu"]), "one thread's CPU in the time"
    assert lines[0].startswith("load average before: ")
    assert lines[-1].startswith("load average after: ")
