"""The cache every bot talks to: memory, then Redis, then the database.

A read tries the process's memory tier, then Redis (filling memory on a hit), then the caller's
loader, which reads the database (filling both tiers, Redis only if no process announced a
change since the read began: :mod:`botfleet.cache.redis_tier`). Writes go to both tiers and
tell the other processes to drop their memory copies (see :mod:`botfleet.cache.invalidation`).
Without a Redis URL the memory tier serves alone; when Redis fails, every call still answers
from memory and the loader, and the writes Redis missed are replayed as invalidations when it
comes back, so it never serves a value that was changed during the outage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from botfleet.cache.invalidation import Invalidation, InvalidationListener
from botfleet.cache.memory import MemoryCache
from botfleet.cache.redis_tier import Fetched, RedisTier
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis
from botfleet.config.schema import CacheTTLSection, Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

_FlightSlot = tuple[str, bool]
"""A key and whether the read may call a loader: a plain ``get`` never joins a loading read."""


@dataclass(frozen=True)
class _Load:
    """How to fill a miss from the database, and for how long to keep the result."""

    loader: Callable[[], Awaitable[Any]]
    ttl: float


@dataclass(eq=False)
class _Flight:
    """One read in progress, shared by every caller that misses the same key meanwhile."""

    invalidated: bool = False
    task: asyncio.Task[Any] = field(init=False)


def _encode(value: Any) -> str:
    if value is None:
        raise ValueError("None cannot be cached; call invalidate() to remove a key")
    return json.dumps(value, separators=(",", ":"))


def _check_ttl(ttl: float) -> None:
    if ttl <= 0:
        raise ValueError(f"a cache TTL must be positive, got {ttl}")


@dataclass
class CacheStats:
    """Where this process's reads were answered, for the hit rates of its metrics."""

    memory_hits: int = 0
    redis_hits: int = 0
    misses: int = 0
    """Reads that reached the loader (the database) or found nothing."""


class CacheHierarchy:
    """Memory → Redis → database caching with single-flight loads and cross-process invalidation.

    Values must be JSON data (dicts, lists, strings, numbers, booleans). Every tier returns them
    as JSON decodes them (a tuple comes back as a list) and callers must not mutate them.
    ``ttl`` holds the TTLs of the architecture's keys: ``cache.ttl.user`` goes with
    ``CacheKeys.user(user_id)``.
    """

    def __init__(
        self,
        memory: MemoryCache,
        redis: ResilientRedis | None = None,
        *,
        key_prefix: str = "",
        ttl: CacheTTLSection | None = None,
        owns_redis: bool = False,
    ) -> None:
        self.memory = memory
        self.redis = redis
        self.ttl = ttl or CacheTTLSection()
        self.origin = uuid.uuid4().hex
        self.stats = CacheStats()
        self._owns_redis = owns_redis
        self._closed = False
        self._flights: dict[_FlightSlot, _Flight] = {}
        self._loads: set[asyncio.Task[Any]] = set()
        """Every read in progress, also one an invalidation replaced in ``_flights``."""
        self._redis_tier: RedisTier | None = None
        self._listener: InvalidationListener | None = None
        if redis is not None:
            self._redis_tier = RedisTier(redis, key_prefix, max_missed_writes=memory.max_entries)
            self._listener = InvalidationListener(
                redis,
                self._redis_tier.channel,
                origin=self.origin,
                on_invalidation=self._drop,
                on_subscribed=self._forget_unheard,
            )

    @classmethod
    def from_settings(cls, settings: Settings, *, redis: ResilientRedis | None = None) -> Self:
        """The cache of ``settings.cache``; pass ``redis`` to share one connection with others."""
        owns_redis = redis is None
        if redis is None:
            redis = ResilientRedis.from_settings(settings)
        return cls(
            MemoryCache(settings.cache.memory_max_entries),
            redis,
            key_prefix=settings.cache.key_prefix,
            ttl=settings.cache.ttl,
            owns_redis=owns_redis,
        )

    @property
    def listening(self) -> bool:
        """Whether other processes' invalidations currently reach this cache."""
        return self._listener is not None and self._listener.subscribed

    async def start(self) -> None:
        """Subscribe to invalidations now rather than on first use (a failure is not fatal)."""
        if self._listener is not None and not self._closed:
            self._listener.start()
            await self._listener.wait_first_attempt()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening, abandon reads in progress, and close Redis if this cache opened it."""
        self._closed = True
        if self._listener is not None:
            await self._listener.stop()
        loads = list(self._loads)
        for task in loads:
            task.cancel()
        await asyncio.gather(*loads, return_exceptions=True)
        if self._owns_redis and self.redis is not None:
            await self.redis.close()

    def in_memory(self, key: str) -> Any | None:
        """The cached value of ``key`` if this process holds it, without asking Redis: for a
        path that decides without awaiting, and awaits :meth:`get` only on ``None``."""
        self._ensure_listening()
        value = self.memory.get(key)
        if value is not None:
            self.stats.memory_hits += 1
        return value

    async def get(self, key: str) -> Any | None:
        """The cached value of ``key`` from memory or Redis, or ``None``."""
        value = self.in_memory(key)
        if value is not None:
            return value
        return await self._join(key, None)

    async def get_or_load(self, key: str, loader: Callable[[], Awaitable[T]], ttl: float) -> T:
        """The cached value of ``key``, else ``await loader()`` cached for ``ttl`` seconds.

        Concurrent misses of one key in this process share a single ``loader`` call. A loader
        result of ``None`` ("not found") is returned but not cached.
        """
        _check_ttl(ttl)
        value = self.in_memory(key)
        if value is None:
            value = await self._join(key, _Load(loader, ttl))
        return cast(T, value)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Cache ``value`` for ``ttl`` seconds in both tiers and tell other processes."""
        _check_ttl(ttl)
        self._ensure_listening()
        payload = _encode(value)
        invalidation = Invalidation(key, is_prefix=False, origin=self.origin)
        self._drop(invalidation)
        self.memory.set(key, json.loads(payload), ttl)
        if self._redis_tier is not None:
            await self._redis_tier.store(key, payload, ttl, announce=invalidation)

    async def invalidate(self, key: str) -> None:
        """Remove ``key`` from every tier and every process, e.g. after the database changed."""
        await self._invalidate(Invalidation(key, is_prefix=False, origin=self.origin))

    async def invalidate_prefix(self, prefix: str) -> None:
        """Remove every key starting with ``prefix`` (administrative changes; Redis SCAN)."""
        await self._invalidate(Invalidation(prefix, is_prefix=True, origin=self.origin))

    def forget_here(self, prefix: str) -> None:
        """Drop every key starting with ``prefix`` from this process's memory only: what
        another process's announcement would have invalidated, when this one may have missed
        it (its event bus was cut off)."""
        self._drop(Invalidation(prefix, is_prefix=True, origin=self.origin))

    async def _invalidate(self, invalidation: Invalidation) -> None:
        self._ensure_listening()
        self._drop(invalidation)
        if self._redis_tier is not None:
            await self._redis_tier.remove(invalidation)

    def _ensure_listening(self) -> None:
        """Subscribe on first use, so a cache nobody started still hears invalidations."""
        if self._listener is not None and not self._closed:
            self._listener.start()

    def _forget_unheard(self) -> None:
        """On each (re)subscription: forget what invalidations may have missed, the values in
        memory and those that reads in progress would store (read before a change that another
        process announced while this one was not yet listening)."""
        self.memory.clear()
        for flight in self._flights.values():
            flight.invalidated = True

    def _drop(self, invalidation: Invalidation) -> None:
        """Forget the named keys here, including values that reads in progress would store."""
        target = invalidation.target
        if invalidation.is_prefix:
            self.memory.delete_prefix(target)
        else:
            self.memory.delete(target)
        for (key, _), flight in self._flights.items():
            if key.startswith(target) if invalidation.is_prefix else key == target:
                flight.invalidated = True

    async def _join(self, key: str, load: _Load | None) -> Any:
        slot = (key, load is not None)
        flight = self._flights.get(slot)
        if flight is None or flight.invalidated:  # a read begun before a change answers old
            flight = _Flight()
            flight.task = asyncio.create_task(self._read_through(key, flight, load))
            self._flights[slot] = flight
            self._loads.add(flight.task)
            flight.task.add_done_callback(self._loads.discard)
            flight.task.add_done_callback(lambda task: self._land(slot, flight, task))
        return await asyncio.shield(flight.task)

    def _land(self, slot: _FlightSlot, flight: _Flight, task: asyncio.Task[Any]) -> None:
        if self._flights.get(slot) is flight:
            del self._flights[slot]
        if not task.cancelled():
            task.exception()  # every waiter gets the error; this only marks it as seen

    async def _read_through(self, key: str, flight: _Flight, load: _Load | None) -> Any:
        fetched: Fetched | None = None
        if self._redis_tier is not None:
            try:
                fetched = await self._redis_tier.fetch(key)
            except RedisUnavailableError:
                fetched = None  # and a loaded value is not stored there: no change is ruled out
            if fetched is not None and fetched.found:
                self.stats.redis_hits += 1
                if not flight.invalidated:
                    self.memory.set(key, fetched.value, fetched.ttl)
                return fetched.value
        self.stats.misses += 1
        if load is None:
            return None
        loaded = await load.loader()
        if loaded is None:
            return None
        payload = _encode(loaded)
        value = json.loads(payload)
        if not flight.invalidated:
            self.memory.set(key, value, load.ttl)
            if self._redis_tier is not None and fetched is not None:
                await self._redis_tier.fill(key, payload, load.ttl, fetched.generation)
        return value
