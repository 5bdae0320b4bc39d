"""Commands in flight, timed for the metrics and awaited when the bot stops.

A rolling restart sends SIGTERM; the bot then refuses new commands with a friendly "restarting"
answer and waits (bounded) for the ones already running to answer, before its XP buffer is
flushed and it leaves the gateway. A member never sees an interaction fail halfway.
"""

from __future__ import annotations

import asyncio
import time

from discord import app_commands
from discord.ext import commands

from botfleet.utils.tasks import wait_at_most

DRAIN_TIMEOUT = 9.0
"""Longest wait for running commands at a stop: within one shutdown step's 10 s bound."""


class BotRestarting(app_commands.CheckFailure, commands.CheckFailure):
    """A command that arrived while the bot drains for a stop."""

    def __init__(self) -> None:
        super().__init__("🔄 I'm restarting — try again in a minute.")


class InFlightCommands:
    """The commands started and not yet finished, by interaction or message id."""

    def __init__(self, *, drain_timeout: float = DRAIN_TIMEOUT) -> None:
        self.drain_timeout = drain_timeout
        self._started: dict[int, float] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False

    def __len__(self) -> int:
        return len(self._started)

    def start(self, key: int) -> None:
        """Count a command in; raise :class:`BotRestarting` once a stop began."""
        if self.draining:
            raise BotRestarting
        self._started[key] = time.perf_counter()
        self._idle.clear()

    def finish(self, key: int) -> float | None:
        """Count a command out; the seconds it ran, or None if it was never counted in."""
        started = self._started.pop(key, None)
        if not self._started:
            self._idle.set()
        return None if started is None else time.perf_counter() - started

    async def drain(self) -> int:
        """Refuse new commands and wait for the running ones; return how many did not end."""
        self.draining = True
        if await wait_at_most(self._idle, self.drain_timeout):
            return 0
        return len(self._started)
