"""Chat that waits for its guild's XP rules while the database cannot give them (issue 19).

A process reads a guild's XP rules once (no-XP channels and roles, amounts, the cooldown) and
keeps them. When the database fails at that first read, the guild's chat would earn nothing
until it answers; instead each such message waits, bounded, and is judged once the rules come
(its member's cooldown taken by the message's own time, so nothing is doubled).

One read per guild serves every message waiting for it, retried with a growing delay while
any of them still waits; each message waits at most :data:`RULES_WAIT_SECONDS` from its own
arrival; at most :data:`MAX_MESSAGES_WAITING` wait at once in one bot. Past those bounds a
message earns nothing, as before.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import chain, repeat
from typing import Final, Generic, TypeVar

RULES_WAIT_SECONDS: Final = 60.0
"""How long one message waits for its guild's rules, from its arrival."""
RULES_RETRY_DELAYS: Final = (0.5, 1.0, 2.0, 4.0, 5.0)
"""Seconds between reads of a waited guild's rules (the last repeats)."""
MAX_MESSAGES_WAITING: Final = 5_000
"""Messages waiting at once in one bot (each a small task holding its message)."""

Rules = TypeVar("Rules")


class RulesWait(Generic[Rules]):
    """The guilds whose rules are being read again, and the messages waiting for them."""

    def __init__(self, read: Callable[[int], Awaitable[Rules | None]]) -> None:
        self._read = read
        """One read of a guild's rules: None while the database cannot give them."""
        self._reads: dict[int, asyncio.Task[Rules | None]] = {}
        self._waiting: Counter[int] = Counter()
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def reading(self, guild_id: int) -> bool:
        """Whether the guild's rules are being read again (a new message joins that read)."""
        read = self._reads.get(guild_id)
        return read is not None and not read.done()

    async def rules(self, guild_id: int) -> Rules | None:
        """The guild's rules once readable, or None past the bounds or once stopped."""
        if self._stopped or self._waiting.total() >= MAX_MESSAGES_WAITING:
            return None
        read = self._reads.get(guild_id)
        if read is None or read.done():
            read = asyncio.create_task(self._read_again(guild_id))
            self._reads[guild_id] = read
            read.add_done_callback(lambda done: self._forget(guild_id, done))
        self._waiting[guild_id] += 1
        try:
            async with asyncio.timeout(RULES_WAIT_SECONDS):
                return await asyncio.shield(read)
        except TimeoutError:
            return None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if read.cancelled() and task is not None and not task.cancelling():
                return None  # stop() ended the read, not this message's own cancellation
            raise
        finally:
            self._waiting[guild_id] -= 1
            if not self._waiting[guild_id]:
                del self._waiting[guild_id]

    async def stop(self) -> None:
        """End every wait (the bot is stopping): no message is judged after this."""
        self._stopped = True
        reads = list(self._reads.values())
        for read in reads:
            read.cancel()
        await asyncio.gather(*reads, return_exceptions=True)

    async def _read_again(self, guild_id: int) -> Rules | None:
        """Read until the rules come, while any message still waits for them."""
        for delay in chain(RULES_RETRY_DELAYS, repeat(RULES_RETRY_DELAYS[-1])):
            await asyncio.sleep(delay)
            if not self._waiting[guild_id] or self._stopped:
                break
            rules = await self._read(guild_id)
            if rules is not None:
                return rules
        return None

    def _forget(self, guild_id: int, done: asyncio.Task[Rules | None]) -> None:
        if self._reads.get(guild_id) is done:
            del self._reads[guild_id]
