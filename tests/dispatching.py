"""What discord.py does to dispatch an event, counted for the tests of its per-message cost."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

import discord


def tasks_dispatching(client: discord.Client, event: str, *args: Any) -> int:
    """How many tasks ``client.dispatch(event, *args)`` creates (one per listener it runs)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created = 0

    def counting(
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        **options: Any,
    ) -> asyncio.Task[Any]:
        nonlocal created
        created += 1
        return asyncio.Task(coro, loop=loop, **options)

    loop.set_task_factory(counting)
    try:
        client.dispatch(event, *args)
    finally:
        loop.set_task_factory(previous)
    return created
