"""The cogs' start steps: each re-arms its timers from the database once the bot is ready.

A step that fails (the database restarting just as the bot starts) is tried again in the
background until it succeeds: a poll's closing or a reminder lost from the timers table would
otherwise wait for the next restart. The timers start without waiting for it, since a timer
re-armed late still fires, an overdue one at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from discord.ext import commands

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS: Final = 1.0
RETRY_MAX_SECONDS: Final = 60.0

Step = Callable[[], Awaitable[object]]


class StartSteps:
    """Steps waiting for readiness, run in the order given; failures retried with backoff."""

    def __init__(self) -> None:
        self._waiting: list[tuple[commands.Cog, str, Step]] = []
        self._retrying: dict[asyncio.Task[None], commands.Cog] = {}
        self._running: dict[int, bool] = {}
        """Cogs whose step is running, by id: whether the cog was removed meanwhile."""
        self.done = False
        """Whether :meth:`run` has run: a step added later runs at once (a reload)."""

    async def add(self, cog: commands.Cog, what: str, step: Step) -> None:
        """Keep ``step`` for :meth:`run`, or run it now if that has run already."""
        if self.done:
            await self._first_try(cog, what, step)
        else:
            self._waiting.append((cog, what, step))

    async def run(self) -> None:
        """Run every waiting step; one that fails goes on trying in the background."""
        while self._waiting:  # taken one at a time: a cog removed meanwhile drops its own
            await self._first_try(*self._waiting.pop(0))
        self.done = True

    def forget(self, cog: commands.Cog) -> None:
        """Drop ``cog``'s steps, waiting, running or retrying: a removed cog's step must not
        run again."""
        self._waiting[:] = [each for each in self._waiting if each[0] is not cog]
        if id(cog) in self._running:
            self._running[id(cog)] = True
        for retry, owner in tuple(self._retrying.items()):
            if owner is cog:
                retry.cancel()

    async def close(self) -> None:
        """Cancel every retry and wait for them: none may reach a database being disposed."""
        retries = tuple(self._retrying)
        for retry in retries:
            retry.cancel()
        await asyncio.gather(*retries, return_exceptions=True)

    @property
    def retrying(self) -> int:
        """Steps that failed and have not succeeded yet."""
        return len(self._retrying)

    async def _first_try(self, cog: commands.Cog, what: str, step: Step) -> None:
        self._running[id(cog)] = False
        try:
            await step()
        except Exception:
            if self._running[id(cog)]:
                log.info("%s failed as its extension was removed; not tried again", what)
                return
            log.exception(
                "%s failed; tried again in the background until it succeeds (the timers do "
                "not wait for it)",
                what,
            )
            retry = asyncio.create_task(self._retry(what, step), name=f"start step: {what}")
            self._retrying[retry] = cog
            retry.add_done_callback(self._forget_retry)
        finally:
            del self._running[id(cog)]

    def _forget_retry(self, retry: asyncio.Task[None]) -> None:
        self._retrying.pop(retry, None)

    async def _retry(self, what: str, step: Step) -> None:
        """Try ``step`` again after 1, 2, 4… seconds (at most a minute apart) until it succeeds.

        The first failure is an error (logged by :meth:`_first_try`); the ones after it are
        debug lines, and one warning when the tries are a minute apart, so a database down
        for an hour neither writes a traceback a minute nor goes unnoticed."""
        delay, tries = RETRY_FIRST_SECONDS, 1
        while True:
            await asyncio.sleep(delay)
            tries += 1
            try:
                await step()
            except Exception as error:
                log.debug("%s failed again (try %d): %r", what, tries, error)
                if delay < RETRY_MAX_SECONDS <= delay * 2:
                    log.warning(
                        "%s has failed %d times; still trying every %g s: %r",
                        what,
                        tries,
                        RETRY_MAX_SECONDS,
                        error,
                    )
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:
                log.info("%s succeeded on try %d", what, tries)
                return
