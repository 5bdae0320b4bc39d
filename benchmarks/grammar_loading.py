"""The Grammar Bot's start: how long its engines hold the event loop, and its first check.

Run::

    .venv/bin/python benchmarks/grammar_loading.py [--runs 4]

Each run is a fresh process (the engines' dictionaries and model are loaded once per process),
the two ways taking turns, in the same invocation:

* **baseline** — as before issue 19's fix: the engines built (their libraries imported) on the
  event loop, loaded side by side, a full garbage collection before the freeze, and a check's
  acknowledgement waiting for the grace;
* **now** — built in a thread, loaded one after the other, the young generations collected,
  the acknowledgement sent at once.

A member's check is asked as loading begins. Printed per way (median over the runs, worst in
brackets), never asserted: the longest the event loop waited for a turn while the engines were
built and while they loaded (a heartbeat every 10 ms), how long building took, when the
acknowledgement's turn came (a task sleeping until the grace, as ``answer_in_time``'s), when
the first check's result came, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Final

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker, build_checker
from botfleet.core.answers import DEFAULT_GRACE

TEXT: Final = "Their is a error in this sentense."
BEAT: Final = 0.01
WAYS: Final = ("baseline", "now")


async def _heartbeat(stalls: list[tuple[float, float]]) -> None:
    """Record when each 10 ms sleep began, and how much later than asked it woke up."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(BEAT)
        stalls.append((asked, time.perf_counter() - asked - BEAT))


async def _acknowledged(grace: float, asked: float) -> float:
    await asyncio.sleep(grace)
    return time.perf_counter() - asked


async def _load_baseline(checker: GrammarChecker) -> None:
    await asyncio.gather(*(engine.start() for engine in checker.engines))
    await asyncio.to_thread(gc.collect)  # the full collection before the freeze, as before
    await checker.start()  # the engines are loaded: the warm-up and the freeze are left


async def one_run(way: str) -> dict[str, float]:
    stalls: list[tuple[float, float]] = []
    beating = asyncio.create_task(_heartbeat(stalls))
    await asyncio.sleep(BEAT)
    started = time.perf_counter()
    if way == "baseline":
        checker = build_checker(GrammarOptions())
    else:
        checker = await asyncio.to_thread(build_checker, GrammarOptions())
    asked = time.perf_counter()
    loading = asyncio.create_task(_load_baseline(checker) if way == "baseline" else checker.start())
    grace = DEFAULT_GRACE if way == "baseline" else 0.0
    acknowledgement = asyncio.create_task(_acknowledged(grace, asked))
    await loading
    result = await checker.check_text(TEXT)
    first_check = time.perf_counter() - asked
    acknowledged = await acknowledgement
    beating.cancel()
    await checker.close()
    assert result.issues, "the check found the mistakes"
    return {
        "stall building": max((stall for at, stall in stalls if at < asked), default=0.0),
        "stall loading": max((stall for at, stall in stalls if at >= asked), default=0.0),
        "build": asked - started,
        "acknowledged": acknowledged,
        "first check": first_check,
        "load average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(asyncio.run(one_run(arguments.one))))
        return
    figures: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for _ in range(arguments.runs):
        for way in WAYS:
            output = subprocess.run(
                [sys.executable, __file__, "--one", way],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures[way].append(json.loads(output.strip().splitlines()[-1]))
    print(f"{arguments.runs} fresh processes per way, taking turns; median [worst] in seconds")
    names = list(figures[WAYS[0]][0])
    print(f"{'':10}" + "".join(f"{name:>22}" for name in names))
    for way in WAYS:
        cells = []
        for name in names:
            values = [run[name] for run in figures[way]]
            cells.append(f"{statistics.median(values):>13.3f} [{max(values):.3f}]")
        print(f"{way:10}" + "".join(f"{cell:>22}" for cell in cells))


if __name__ == "__main__":
    main()
