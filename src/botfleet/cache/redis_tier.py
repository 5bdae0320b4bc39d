"""The shared cache tier: JSON values in Redis under the configured key prefix.

All bot processes read and write the same entries here, so a value loaded from the database by
one bot is a Redis hit for the others. Each write also publishes its :class:`Invalidation` in the
same round trip, so that the other processes drop their memory copies. A write that finds Redis
away is remembered and replayed, as a deletion, the moment Redis is back: otherwise Redis would
go on serving the value from before the write until its TTL ends.

A value loaded from the database is stored only if no change was announced since the read
began: a process that read the old row while another changed it and deleted the key would
otherwise put the old value back, for every process, until its TTL ends. Every change sets a
**generation** (a random token) before it deletes or writes: the key's own for a key, the
tier's for a prefix (whose keys are not known in advance); a read notes both with the value
it missed, and the fill is a script that writes only while both hold.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

from botfleet.cache.invalidation import Invalidation
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline

log = logging.getLogger(__name__)

SCAN_BATCH = 500
"""Keys asked per SCAN step and removed per UNLINK: small enough not to block Redis."""

_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")

FILL_SCRIPT = """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[3] or (redis.call('GET', KEYS[3]) or '') ~= ARGV[4]
then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
"""Store ARGV[1] under KEYS[1] for ARGV[2] ms if the generations KEYS[2] (the tier's) and
KEYS[3] (the key's) are still ARGV[3] and ARGV[4] ('' for none): no change was announced since
the value was read."""

GENERATION_TTL_MS = 3_600_000
"""How long a key's generation is kept after its change: far longer than a database read, and
one that ran out only refuses a fill (its generation no longer matches)."""


class Fetched(NamedTuple):
    """What a read found in Redis, and the generation to fill a miss under."""

    found: bool
    value: Any
    ttl: float | None
    """Seconds the value has left (None: no expiry)."""
    generation: tuple[str, str]
    """The tier's and the key's generations when the key was read ('' before any change)."""


def glob_escape(text: str) -> str:
    """Escape ``text`` for a Redis MATCH pattern, so a prefix matches only itself."""
    return _GLOB_SPECIALS.sub(r"\\\1", text)


class RedisTier:
    """Cache entries in Redis; writes never fail, :meth:`fetch` raises ``RedisUnavailableError``."""

    def __init__(self, redis: ResilientRedis, key_prefix: str, *, max_missed_writes: int) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.channel = f"{key_prefix}cache:invalidations"
        self.generation_key = f"{key_prefix}cache:generation"
        """The tier's generation, set by prefix removals."""
        self.max_missed_writes = max_missed_writes
        self._missed_writes: OrderedDict[Invalidation, None] = OrderedDict()
        self._missed_writes_overflowed = False
        redis.add_recovery_hook(self._replay_missed_writes)

    async def fetch(self, key: str) -> Fetched:
        """The value of ``key`` and its remaining seconds to live, or a miss, with the
        generation that a value loaded for the miss is stored under (:meth:`fill`)."""

        async def operation(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=True) as pipe:  # the TTL of this very value
                pipe.get(self.key_prefix + key)
                pipe.pttl(self.key_prefix + key)
                pipe.get(self.generation_key)
                pipe.get(self._generation_of(key))
                result: list[Any] = await pipe.execute()
            return result

        payload, milliseconds_left, tier, own = await self.redis.call(operation)
        generation = (tier or "", own or "")  # the client decodes replies
        if payload is None:
            return Fetched(False, None, None, generation)
        ttl = milliseconds_left / 1000 if milliseconds_left > 0 else None
        return Fetched(True, json.loads(payload), ttl, generation)

    async def fill(self, key: str, payload: str, ttl: float, generation: tuple[str, str]) -> None:
        """Store a value loaded from the database after :meth:`fetch` missed, unless a change
        was announced since (then the next read loads it again); a miss of Redis is harmless."""

        keys = [self.key_prefix + key, self.generation_key, self._generation_of(key)]
        arguments: list[str | int] = [payload, max(1, round(ttl * 1000)), *generation]

        async def operation(client: Redis) -> object:
            return await self.redis.script(FILL_SCRIPT)(keys=keys, args=arguments, client=client)

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            return

    async def store(self, key: str, payload: str, ttl: float, *, announce: Invalidation) -> None:
        """Write the changed JSON ``payload`` for ``ttl`` seconds and publish ``announce``; a
        write that misses Redis is remembered for replay."""

        async def operation(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                self._change_generation(pipe, key)  # first: no fill passes it
                pipe.set(self.key_prefix + key, payload, px=max(1, round(ttl * 1000)))
                pipe.publish(self.channel, announce.encode())
                await pipe.execute()

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
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
        """Delete what ``invalidation`` names and publish it, the generation changed first:
        a fill of a value read before then, landing between the two, would survive them."""
        if invalidation.is_prefix:
            await client.set(self.generation_key, _new_generation())
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
        async with client.pipeline(transaction=False) as pipe:  # in order, on one connection
            self._change_generation(pipe, invalidation.target)
            pipe.unlink(self.key_prefix + invalidation.target)
            pipe.publish(self.channel, invalidation.encode())
            await pipe.execute()

    def _generation_of(self, key: str) -> str:
        return f"{self.key_prefix}cache:generation:{key}"

    def _change_generation(self, pipe: Pipeline, key: str) -> None:
        pipe.set(self._generation_of(key), _new_generation(), px=GENERATION_TTL_MS)

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


def _new_generation() -> str:
    return secrets.token_hex(8)
