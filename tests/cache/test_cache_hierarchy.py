"""The hierarchy without Redis (the development setup): loads, single-flight, invalidation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fake_clock import FakeClock

from botfleet.cache import CacheHierarchy, CacheKeys, MemoryCache
from botfleet.config.schema import CacheSection, Settings


class CountingLoader:
    """A database stand-in that counts its reads and can be held until released."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> Any:
        self.calls += 1
        await self.release.wait()
        return self.value


@pytest.fixture
async def cache(clock: FakeClock) -> AsyncIterator[CacheHierarchy]:
    hierarchy = CacheHierarchy(MemoryCache(100, clock=clock))
    yield hierarchy
    await hierarchy.close()


def test_keys_follow_the_architecture() -> None:
    assert CacheKeys.user(42) == "user:42"
    assert CacheKeys.guild_config(7) == "guild:7:config"
    assert CacheKeys.leaderboard(7, "xp", "weekly") == "leaderboard:7:xp:weekly"
    assert CacheKeys.leaderboard(7, "xp", "weekly").startswith(CacheKeys.guild_leaderboards(7))
    assert not CacheKeys.leaderboard(70, "xp", "weekly").startswith(CacheKeys.guild_leaderboards(7))
    assert CacheKeys.rate_limit(42, "hangman start") == "ratelimit:42:hangman start"


async def test_from_settings_without_redis_serves_from_memory() -> None:
    settings = Settings(cache=CacheSection(memory_max_entries=2))
    cache = CacheHierarchy.from_settings(settings)
    try:
        await cache.start()
        assert cache.redis is None
        assert cache.memory.max_entries == 2
        assert cache.ttl.leaderboard == 300
        await cache.set("a", 1, ttl=60)
        assert await cache.get("a") == 1
    finally:
        await cache.close()


async def test_get_or_load_reads_the_database_once_then_memory(
    cache: CacheHierarchy, clock: FakeClock
) -> None:
    loader = CountingLoader({"username": "ada", "level": 5})
    key = CacheKeys.user(1)
    for _ in range(3):
        assert await cache.get_or_load(key, loader, ttl=cache.ttl.user) == loader.value
    assert loader.calls == 1
    clock.advance(cache.ttl.user)
    assert await cache.get_or_load(key, loader, ttl=cache.ttl.user) == loader.value
    assert loader.calls == 2


async def test_values_come_back_as_json_from_the_first_call(cache: CacheHierarchy) -> None:
    loader = CountingLoader({"ranks": (1, 2)})
    assert await cache.get_or_load("k", loader, ttl=60) == {"ranks": [1, 2]}
    await cache.set("t", (3, 4), ttl=60)
    assert await cache.get("t") == [3, 4]


async def test_not_found_is_returned_but_not_cached(cache: CacheHierarchy) -> None:
    loader = CountingLoader(None)
    assert await cache.get_or_load("user:404", loader, ttl=60) is None
    assert await cache.get_or_load("user:404", loader, ttl=60) is None
    assert loader.calls == 2


async def test_bad_writes_are_refused(cache: CacheHierarchy) -> None:
    with pytest.raises(ValueError, match="None cannot be cached"):
        await cache.set("k", None, ttl=60)
    with pytest.raises(ValueError, match="TTL must be positive"):
        await cache.set("k", 1, ttl=0)
    with pytest.raises(TypeError):
        await cache.set("k", object(), ttl=60)
    assert await cache.get("k") is None


async def test_concurrent_misses_share_one_load(cache: CacheHierarchy) -> None:
    loader = CountingLoader([{"user_id": 1, "value": 5000, "rank": 1}])
    loader.release.clear()
    key = CacheKeys.leaderboard(1, "xp", "weekly")
    waiters = [
        asyncio.create_task(cache.get_or_load(key, loader, ttl=cache.ttl.leaderboard))
        for _ in range(50)
    ]
    await asyncio.sleep(0)
    loader.release.set()
    results = await asyncio.gather(*waiters)
    assert loader.calls == 1
    assert all(result == loader.value for result in results)


async def test_a_cancelled_waiter_does_not_cancel_the_shared_load(cache: CacheHierarchy) -> None:
    loader = CountingLoader("value")
    loader.release.clear()
    first = asyncio.create_task(cache.get_or_load("k", loader, ttl=60))
    second = asyncio.create_task(cache.get_or_load("k", loader, ttl=60))
    await asyncio.sleep(0.01)
    first.cancel()
    loader.release.set()
    assert await second == "value"
    assert first.cancelled()
    assert await cache.get("k") == "value"


async def test_a_failing_load_reaches_every_waiter_and_is_not_cached(
    cache: CacheHierarchy,
) -> None:
    calls = 0
    gate = asyncio.Event()

    async def broken_database() -> str:
        nonlocal calls
        calls += 1
        await gate.wait()
        raise ConnectionError("database is down")

    waiters = [asyncio.create_task(cache.get_or_load("k", broken_database, ttl=60)) for _ in "ab"]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    assert calls == 1
    assert await cache.get_or_load("k", CountingLoader("fresh"), ttl=60) == "fresh"


async def test_a_write_during_a_load_wins_over_the_loaded_value(cache: CacheHierarchy) -> None:
    loader = CountingLoader({"xp": 100})
    loader.release.clear()
    load = asyncio.create_task(cache.get_or_load("user:1", loader, ttl=60))
    await asyncio.sleep(0)
    await cache.set("user:1", {"xp": 150}, ttl=60)
    loader.release.set()
    assert await load == {"xp": 100}
    assert await cache.get("user:1") == {"xp": 150}


async def test_an_invalidation_during_a_load_keeps_its_result_out(cache: CacheHierarchy) -> None:
    loader = CountingLoader([1, 2, 3])
    loader.release.clear()
    load = asyncio.create_task(cache.get_or_load("leaderboard:1:xp:all", loader, ttl=60))
    await asyncio.sleep(0)
    await cache.invalidate_prefix("leaderboard:1:")
    loader.release.set()
    assert await load == [1, 2, 3]
    assert await cache.get("leaderboard:1:xp:all") is None


async def test_a_read_after_an_invalidation_does_not_join_the_load_it_outdated(
    cache: CacheHierarchy,
) -> None:
    """A load begun before a change is invalidated; a read begun after the change reads the
    database again rather than sharing the outdated load's answer."""
    stale = CountingLoader({"no_xp_role_ids": []})
    stale.release.clear()
    outdated = asyncio.create_task(cache.get_or_load("guild:1:xp", stale, ttl=60))
    await asyncio.sleep(0)
    await cache.invalidate("guild:1:xp")
    fresh = CountingLoader({"no_xp_role_ids": [7]})
    after_change = asyncio.create_task(cache.get_or_load("guild:1:xp", fresh, ttl=60))
    await asyncio.sleep(0)
    stale.release.set()
    assert await after_change == {"no_xp_role_ids": [7]}
    assert await outdated == {"no_xp_role_ids": []}
    assert await cache.get("guild:1:xp") == {"no_xp_role_ids": [7]}
    assert (stale.calls, fresh.calls) == (1, 1)


async def test_closing_stops_a_load_an_invalidation_replaced() -> None:
    cache = CacheHierarchy(MemoryCache(100))
    outdated, fresh = CountingLoader("old"), CountingLoader("new")
    outdated.release.clear()
    fresh.release.clear()
    loads = [asyncio.create_task(cache.get_or_load("k", outdated, ttl=60))]
    await asyncio.sleep(0.01)
    await cache.invalidate("k")
    loads.append(asyncio.create_task(cache.get_or_load("k", fresh, ttl=60)))
    await asyncio.sleep(0.01)
    assert (outdated.calls, fresh.calls) == (1, 1)
    await cache.close()
    results = await asyncio.gather(*loads, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)


async def test_invalidation_removes_keys_and_prefixes(cache: CacheHierarchy) -> None:
    for key in ("leaderboard:1:xp:all", "leaderboard:1:words:week", "leaderboard:2:xp:all"):
        await cache.set(key, [], ttl=60)
    await cache.set("user:1", {"level": 1}, ttl=60)
    await cache.invalidate_prefix(CacheKeys.guild_leaderboards(1))
    await cache.invalidate("user:1")
    assert await cache.get("leaderboard:1:xp:all") is None
    assert await cache.get("leaderboard:1:words:week") is None
    assert await cache.get("leaderboard:2:xp:all") == []
    assert await cache.get("user:1") is None
