"""Work every chat message needs at once, without a task of its own per message.

discord.py runs each ``on_message`` listener in a task of its own, which costs several
microseconds per message and listener (``benchmarks/xp_hot_path.py`` measures it), several
times what deciding that a member is still in their XP cooldown costs. A hook is a plain
function the bot calls as its own ``on_message`` starts (a task discord.py creates for every
message anyway, to look for prefix commands): it decides at once and returns None, or returns
a coroutine for the rare work that must wait, which then runs in a task of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

import discord

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5.0
"""How long a closing bot lets its hooks' work in flight finish before cancelling it."""

MessageHook: TypeAlias = Callable[[discord.Message], Coroutine[Any, Any, None] | None]


class MessageHooks:
    """The hooks of one bot, in the order they were added.

    A hook that fails is logged with the message's id and the others still run: one
    extension's bug never costs another its messages, nor the prefix commands theirs.
    """

    def __init__(self, bot_name: str, on_failure: Callable[[str], None]) -> None:
        self._bot_name = bot_name
        self._on_failure = on_failure
        self._hooks: list[MessageHook] = []
        self._waiting: set[asyncio.Task[None]] = set()
        """Coroutines hooks returned, still running (referenced so none is collected)."""

    def add(self, hook: MessageHook) -> None:
        self._hooks.append(hook)

    def remove(self, hook: MessageHook) -> None:
        """Remove ``hook`` (an extension unloading); removing one not added does nothing."""
        if hook in self._hooks:
            self._hooks.remove(hook)

    def run(self, message: discord.Message) -> None:
        """Call every hook on ``message``; the coroutines they return run as tasks."""
        for hook in self._hooks:
            try:
                pending = hook(message)
            except Exception:
                self._failed(hook, message)
                continue
            if pending is not None:
                task = asyncio.create_task(self._finish(hook, pending, message))
                self._waiting.add(task)
                task.add_done_callback(self._waiting.discard)

    async def close(self) -> None:
        """Let the hooks' work in flight finish (bounded), then cancel what is left: none may
        outlive the database it reads or the event loop it runs on."""
        if not self._waiting:
            return
        _, late = await asyncio.wait(set(self._waiting), timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning(
                "%s: %d message hook tasks still running at shutdown were cancelled",
                self._bot_name,
                len(late),
            )

    async def _finish(
        self, hook: MessageHook, pending: Coroutine[Any, Any, None], message: discord.Message
    ) -> None:
        try:
            await pending
        except Exception:
            self._failed(hook, message)

    def _failed(self, hook: MessageHook, message: discord.Message) -> None:
        name = getattr(hook, "__qualname__", repr(hook))
        log.exception(
            "%s: message hook %s failed on message %d; the bot goes on",
            self._bot_name,
            name,
            message.id,
        )
        self._on_failure(f"message hook {name}")
