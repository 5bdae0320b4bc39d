"""Waiting in tests for state only a client keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait (bounded) for state a client keeps, which the stand-in's waits cannot see."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110  (client-side state: nothing to await)
            await asyncio.sleep(0.01)
