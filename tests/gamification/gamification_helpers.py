"""Names shared by the gamification tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from botfleet.gamification import Gamification

GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333
ADA = 1_234_567_890_123_456_789
BOB = 987_654_321_098_765_432

GamificationFactory = Callable[..., Gamification]


class Recorder:
    """A ``dispatch`` that remembers every event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __call__(self, name: str, event: object) -> None:
        self.events.append((name, event))

    def named(self, name: str) -> list[Any]:
        return [event for event_name, event in self.events if event_name == name]


WAIT_SECONDS = 10.0
"""Upper bound for what should take a fraction of a second; only reached when broken."""


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll ``check`` until it holds (failing the test after WAIT_SECONDS)."""
    async with asyncio.timeout(WAIT_SECONDS):
        for delay in itertools.repeat(0.02):
            if await check():
                return
            await asyncio.sleep(delay)
