"""Which events a consumer already handled, so a redelivered one has no second effect.

With Redis the record is shared by the consumer's processes and survives a restart (a
redelivery after a crash is the usual case); without it, this process remembers the latest ids.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

REMEMBERED_FOR = 7 * 24 * 3600
"""Seconds an event id is kept in Redis: far longer than any redelivery takes."""
REMEMBERED_IN_MEMORY = 10_000
"""Event ids one process keeps without Redis (oldest forgotten)."""


class ProcessedEvents:
    """The ids of the events each consumer handled."""

    def __init__(self, redis: ResilientRedis | None = None, *, key_prefix: str = "") -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()

    def _key(self, consumer: str, event_id: str) -> str:
        return f"{self.key_prefix}bus-done:{consumer}:{event_id}"

    async def seen(self, consumer: str, event_id: str, *, shared: bool = True) -> bool:
        """Whether ``consumer`` handled the event already: in any of its processes when
        ``shared``, else in this one."""
        if (consumer, event_id) in self._recent:
            return True
        if self.redis is None or not shared:
            return False
        key = self._key(consumer, event_id)

        async def exists(client: Redis) -> int:
            found: int = await client.exists(key)
            return found

        try:
            return bool(await self.redis.call(exists))
        except RedisUnavailableError:
            return False

    async def remember(self, consumer: str, event_id: str, *, shared: bool = True) -> None:
        """Record that ``consumer`` handled the event, for all its processes when ``shared``."""
        self._recent[(consumer, event_id)] = None
        while len(self._recent) > REMEMBERED_IN_MEMORY:
            self._recent.popitem(last=False)
        if self.redis is None or not shared:
            return
        key = self._key(consumer, event_id)

        async def store(client: Redis) -> None:
            await client.set(key, "1", ex=REMEMBERED_FOR)

        try:
            await self.redis.call(store)
        except RedisUnavailableError:
            return  # remembered here; ResilientRedis logged the outage once
