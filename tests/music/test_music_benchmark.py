"""The players benchmark runs (tiny), so it cannot rot; its figures are never asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "music_players.py"


def test_the_players_benchmark_runs_and_reports_what_one_core_held() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--seconds", "1", "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    for mode in ("passthrough", "nightcore"):
        rows = [line.split() for line in lines if line.startswith(mode) and line.split()[1:2]]
        assert [row[1] for row in rows if row[1].isdigit()][:1] == ["1"], done.stdout
        assert any(line.startswith(f"{mode}: the most players one core held") for line in lines)
