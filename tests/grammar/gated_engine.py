"""An engine for tests whose loading ends when the test says, as on a busy machine."""

from __future__ import annotations

import asyncio

from botfleet.bots.grammar.services.issues import Category, Issue


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
