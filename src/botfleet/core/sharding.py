"""Shards across processes: which shards a process runs, and when each of them may identify.

Discord lets a bot identify ``max_concurrency`` shards per 5 seconds, one per bucket
(``shard_id % max_concurrency``), counted over every process of the bot; an identify that
comes too soon is refused with an invalid session. The :class:`IdentifyGate` paces a process's
shards, and with Redis (shared by the bot's processes) paces the processes together.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

IDENTIFY_WINDOW = 5.0
"""Discord's window: each identify bucket may identify once in it."""
IDENTIFY_MARGIN = 0.5
"""Added to the window: two processes' identifies cross the network with different delays."""


class ShardRangeError(ValueError):
    """A ``--shards`` value that names no valid range of the bot's shards."""


def parse_shard_range(text: str, shard_count: int) -> list[int]:
    """The shards of ``a-b`` (both included) or of a single ``a``, checked against the count."""
    first, dash, last = text.strip().partition("-")
    if not first.isdigit() or (dash and not last.isdigit()):
        raise ShardRangeError(f"{text!r} is not a shard range: write it as 0-3, or 2 for one")
    start, end = int(first), int(last or first)
    if start > end:
        raise ShardRangeError(f"the shard range {text} ends before it starts")
    if end >= shard_count:
        raise ShardRangeError(
            f"the shard range {text} goes past the last shard ({shard_count - 1}): shards are "
            f"numbered from 0 to shard count - 1"
        )
    return list(range(start, end + 1))


class IdentifyGate:
    """Lets one shard per identify bucket identify per window, across processes with Redis."""

    def __init__(
        self,
        *,
        redis: ResilientRedis | None = None,
        key_prefix: str = "botfleet:",
        window: float = IDENTIFY_WINDOW + IDENTIFY_MARGIN,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.window = window
        self.max_concurrency = 1
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._last_identify: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def bucket_of(self, shard_id: int) -> int:
        """The identify bucket of a shard."""
        return shard_id % self.max_concurrency

    async def wait_turn(self, application_id: int | None, shard_id: int) -> None:
        """Return when ``shard_id`` may identify, and take the turn of its bucket."""
        bucket = self.bucket_of(shard_id)
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            if self.redis is not None and application_id is not None:
                try:
                    await self._take_shared_turn(self.redis, application_id, bucket)
                except RedisUnavailableError:
                    log.warning(
                        "Redis is unreachable: shard %d identifies paced by this process only, "
                        "and may be refused if another process of the bot identifies now",
                        shard_id,
                    )
                else:
                    self._last_identify[bucket] = self._clock()
                    return
            await self._take_local_turn(bucket)

    async def _take_local_turn(self, bucket: int) -> None:
        last = self._last_identify.get(bucket)
        if last is not None:
            wait = last + self.window - self._clock()
            if wait > 0:
                log.info("identify bucket %d is busy; identifying in %.1fs", bucket, wait)
                await asyncio.sleep(wait)
        self._last_identify[bucket] = self._clock()

    async def _take_shared_turn(
        self, redis: ResilientRedis, application_id: int, bucket: int
    ) -> None:
        """Hold the bucket's key for a window: whoever sets it first identifies."""
        key = f"{self.key_prefix}identify:{application_id}:{bucket}"
        holder = secrets.token_hex(8)
        window_ms = round(self.window * 1000)

        async def claim(client: Redis) -> int:
            if await client.set(key, holder, nx=True, px=window_ms):
                return 0
            left: int = await client.pttl(key)
            return max(left, 1)

        while (left_ms := await redis.call(claim)) > 0:
            log.info("identify bucket %d is busy; identifying in %.1fs", bucket, left_ms / 1000)
            await asyncio.sleep(left_ms / 1000)
