"""Shared pieces of the AI service tests (conftest modules cannot be imported by name)."""

from __future__ import annotations

from collections.abc import Callable

from botfleet.config.schema import AISection
from botfleet.services.ai.service import AIService

API_KEY = "sk-botfleet-test-0123456789abcdef"

SettingsFactory = Callable[..., AISection]
ServiceFactory = Callable[..., AIService]


class RecordedSleeps:
    """Stands in for asyncio.sleep: remembers each backoff instead of waiting it out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
