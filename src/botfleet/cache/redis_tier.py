"""The shared cache tier: JSON values in Redis under the configured key prefix.

All bot processes read and write the same entries here, so a value loaded from the database by
one bot is a Redis hit for the others. Each write also publishes its :class:`Invalidation` in the
same round trip, so that the other processes drop their memory copies. A write that finds Redis
away is remembered and replayed, as a deletion, the moment Redis is back: otherwise Redis would
go on serving the value from before the write until its TTL ends.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from botfleet.cache.invalidation import Invalidation
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

SCAN_BATCH = 500
"""Keys asked per SCAN step and removed per UNLINK: small enough not to block Redis."""

_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")


def glob_escape(text: str) -> str:
    """Escape ``text`` for a Redis MATCH pattern, so a prefix matches only itself."""
    return _GLOB_SPECIALS.sub(r"\\\1", text)


class RedisTier:
    """Cache entries in Redis; writes never fail, :meth:`fetch` raises ``RedisUnavailableError``."""

    def __init__(self, redis: ResilientRedis, key_prefix: str, *, max_missed_writes: int) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.channel = f"{key_prefix}cache:invalidations"
        self.max_missed_writes = max_missed_writes
        self._missed_writes: OrderedDict[Invalidation, None] = OrderedDict()
        self._missed_writes_overflowed = False
        redis.add_recovery_hook(self._replay_missed_writes)

    async def fetch(self, key: str) -> tuple[Any, float | None] | None:
        """The value of ``key`` and its remaining seconds to live, or ``None`` on a miss."""

        async def operation(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=True) as pipe:  # the TTL of this very value
                pipe.get(self.key_prefix + key)
                pipe.pttl(self.key_prefix + key)
                result: list[Any] = await pipe.execute()
            return result

        payload, milliseconds_left = await self.redis.call(operation)
        if payload is None:
            return None
        ttl = milliseconds_left / 1000 if milliseconds_left > 0 else None
        return json.loads(payload), ttl

    async def store(
        self, key: str, payload: str, ttl: float, *, announce: Invalidation | None
    ) -> None:
        """Write the JSON ``payload`` for ``ttl`` seconds and publish ``announce`` if given.

        Without ``announce`` (a value just loaded from the database) a miss is harmless and
        forgotten; with it (a change) the key is remembered for replay.
        """

        async def operation(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                pipe.set(self.key_prefix + key, payload, px=max(1, round(ttl * 1000)))
                if announce is not None:
                    pipe.publish(self.channel, announce.encode())
                await pipe.execute()

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            if announce is not None:
                self._remember_missed_write(announce)

    async def remove(self, invalidation: Invalidation) -> None:
        """Delete the key or prefix that ``invalidation`` names and publish it."""

        async def operation(client: Redis) -> None:
            await self._remove_with(client, invalidation)

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            self._remember_missed_write(invalidation)

    async def _remove_with(self, client: Redis, invalidation: Invalidation) -> None:
        if invalidation.is_prefix:
            pattern = glob_escape(self.key_prefix + invalidation.target) + "*"
            batch: list[str] = []
            async for name in client.scan_iter(match=pattern, count=SCAN_BATCH):
                batch.append(name)
                if len(batch) >= SCAN_BATCH:
                    await client.unlink(*batch)
                    batch.clear()
            if batch:
                await client.unlink(*batch)
            await client.publish(self.channel, invalidation.encode())
            return
        async with client.pipeline(transaction=False) as pipe:
            pipe.unlink(self.key_prefix + invalidation.target)
            pipe.publish(self.channel, invalidation.encode())
            await pipe.execute()

    def _remember_missed_write(self, invalidation: Invalidation) -> None:
        self._missed_writes[invalidation] = None
        self._missed_writes.move_to_end(invalidation)
        if len(self._missed_writes) > self.max_missed_writes:
            self._missed_writes.popitem(last=False)
            if not self._missed_writes_overflowed:
                self._missed_writes_overflowed = True
                log.warning(
                    "more than %d cache writes missed Redis during this outage; the oldest "
                    "may be served stale from Redis until their TTL ends",
                    self.max_missed_writes,
                )

    async def _replay_missed_writes(self, client: Redis) -> None:
        """Delete in Redis, and announce, every key changed while Redis was away."""
        for invalidation in list(self._missed_writes):
            await self._remove_with(client, invalidation)
            del self._missed_writes[invalidation]
        self._missed_writes_overflowed = False
