"""Grammar test helpers: a stage that waits for the engines, an engine that loads slowly."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from botfleet.bots.grammar.commands.grammar import COG_NAME, GrammarCommands
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox.pytest_plugin import FleetBotStage


class SlowEngine:
    """Finishes loading once ``may_finish`` is set; then flags the first word of every text."""

    name = "slow"

    def __init__(self) -> None:
        self.may_finish = asyncio.Event()

    def supports(self, language: str) -> bool:
        return True

    async def start(self) -> None:
        await self.may_finish.wait()

    async def check(self, text: str, language: str) -> list[Issue]:
        return [
            Issue(
                start=0,
                end=5,
                category=Category.STYLE,
                message="slow engine finding",
                suggestions=(),
                explanation="",
                engine=self.name,
                rule="SLOW",
            )
        ]

    async def close(self) -> None:
        """Nothing was opened."""


class GrammarStage(FleetBotStage):
    """The Grammar Bot on the stand-in, handed to a test once its engines are loaded.

    The bot is online before its engines finish loading in the background; a check asked in
    between is deferred. Tests that expect an immediate answer start from loaded engines.
    """

    @asynccontextmanager
    async def running(self, settings: Settings | None = None) -> AsyncIterator[FleetBot]:
        async with super().running(settings) as bot:
            await grammar_cog(bot).checker.wait_until_loaded()
            yield bot


def grammar_cog(bot: FleetBot) -> GrammarCommands:
    """The running cog (each start loads the extension's module anew: no isinstance)."""
    cog = bot.get_cog(COG_NAME)
    assert cog is not None
    return cast(GrammarCommands, cog)


class GilHoldingEngine:
    """An engine whose loading holds the GIL in long stretches, as a C extension's does.

    Each stretch is one ``sum`` over a range (one C call: no switch interval interrupts it)
    of about ``stretch`` seconds, measured on this machine; loading goes on until ``finish``
    is called. It finds nothing.
    """

    name = "gil-holding"

    def __init__(self, stretch: float) -> None:
        self._count = _count_summed_in(stretch)
        self._finished = threading.Event()
        self.stretches = 0
        """How many stretches loading held the GIL for so far."""

    def finish(self) -> None:
        self._finished.set()

    def supports(self, language: str) -> bool:
        return True

    async def start(self) -> None:
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        while not self._finished.is_set():
            sum(range(self._count))
            self.stretches += 1

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        return []

    async def check(self, text: str, language: str) -> list[Issue]:
        return []

    async def close(self) -> None:
        """Nothing was opened."""


def _count_summed_in(seconds: float) -> int:
    """How many integers one ``sum(range(n))`` adds up in about ``seconds`` here and now."""
    count = 1_000_000
    started = time.perf_counter()
    sum(range(count))
    took = max(time.perf_counter() - started, 1e-6)
    return max(count, int(count * seconds / took))
