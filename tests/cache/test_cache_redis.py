"""The hierarchy on the machine's real Redis: shared entries, TTLs, SCAN, pub/sub invalidation.

Two :class:`CacheHierarchy` objects with separate connections stand for two bot processes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fake_clock import FakeClock
from redis.asyncio import Redis

from botfleet.cache import CacheHierarchy, CacheKeys, MemoryCache, ResilientRedis
from botfleet.cache.invalidation import Invalidation
from botfleet.config.schema import CacheSection, Settings

MakeCache = Callable[..., Awaitable[CacheHierarchy]]


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def make_cache(redis_url: str, redis_prefix: str) -> AsyncIterator[MakeCache]:
    """Start caches on the real Redis under this test's prefix, as separate processes would."""
    caches: list[CacheHierarchy] = []

    async def make(clock: FakeClock | None = None) -> CacheHierarchy:
        if clock is None:
            settings = Settings(cache=CacheSection(redis_url=redis_url, key_prefix=redis_prefix))
            cache = CacheHierarchy.from_settings(settings)
        else:
            redis = ResilientRedis.from_url(redis_url, retry_interval=5)
            cache = CacheHierarchy(
                MemoryCache(100, clock=clock), redis, key_prefix=redis_prefix, owns_redis=True
            )
        caches.append(cache)
        await cache.start()
        assert cache.listening
        return cache

    yield make
    for cache in caches:
        await cache.close()


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait for a pub/sub message to be applied (delivery is asynchronous)."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never became true")


async def constant(value: Any) -> Any:
    return value


async def test_a_loaded_value_is_shared_through_redis_with_its_ttl(
    make_cache: MakeCache, raw: Redis, redis_prefix: str
) -> None:
    first, second = await make_cache(), await make_cache()
    key = CacheKeys.user(1)
    profile = {"username": "ada", "level": 5, "xp": 1250, "is_premium": True}
    assert await first.get_or_load(key, lambda: constant(profile), ttl=first.ttl.user) == profile
    assert json.loads(await raw.get(redis_prefix + key)) == profile
    assert 0 < await raw.pttl(redis_prefix + key) <= first.ttl.user * 1000

    async def must_not_load() -> Any:
        raise AssertionError("the second process should have found the value in Redis")

    assert await second.get_or_load(key, must_not_load, ttl=second.ttl.user) == profile


async def test_a_redis_hit_fills_memory_no_longer_than_redis_keeps_it(
    make_cache: MakeCache, raw: Redis, redis_prefix: str
) -> None:
    writer = await make_cache()
    clock = FakeClock()
    reader = await make_cache(clock)
    await writer.set("guild:9:config", {"prefix": "?"}, ttl=100)
    assert await reader.get("guild:9:config") == {"prefix": "?"}
    await raw.delete(redis_prefix + "guild:9:config")
    assert await reader.get("guild:9:config") == {"prefix": "?"}, "served from memory"
    clock.advance(100)
    assert await reader.get("guild:9:config") is None


async def test_a_write_reaches_the_other_process_memory(make_cache: MakeCache) -> None:
    writer, reader = await make_cache(), await make_cache()
    key = CacheKeys.guild_config(5)
    await writer.set(key, {"locale": "en-US"}, ttl=60)
    assert await reader.get(key) == {"locale": "en-US"}
    assert reader.memory.get(key) == {"locale": "en-US"}

    await writer.set(key, {"locale": "fr-FR"}, ttl=60)
    await eventually(lambda: reader.memory.get(key) is None)
    assert await reader.get(key) == {"locale": "fr-FR"}

    await writer.invalidate(key)
    await eventually(lambda: reader.memory.get(key) is None)
    assert await reader.get(key) is None
    assert writer.memory.get(key) is None


async def test_own_writes_stay_in_own_memory(make_cache: MakeCache) -> None:
    writer, other = await make_cache(), await make_cache()
    await writer.set("user:3", {"xp": 1}, ttl=60)
    await writer.set("user:4", {"xp": 2}, ttl=60)
    await other.set("user:4", {"xp": 3}, ttl=60)
    # Messages arrive in order: once the other's write is applied, the writer's own were seen.
    await eventually(lambda: writer.memory.get("user:4") is None)
    assert writer.memory.get("user:3") == {"xp": 1}


async def test_a_prefix_invalidation_reaches_redis_and_other_processes(
    make_cache: MakeCache, raw: Redis, redis_prefix: str
) -> None:
    admin, reader = await make_cache(), await make_cache()
    boards = [CacheKeys.leaderboard(1, "xp", f"period{index}") for index in range(1200)]
    async with raw.pipeline(transaction=False) as pipe:
        for board in boards:
            pipe.set(redis_prefix + board, "[]", ex=60)
        await pipe.execute()
    await admin.set(CacheKeys.leaderboard(11, "xp", "all"), [], ttl=60)
    assert await reader.get(boards[0]) == []

    await admin.invalidate_prefix(CacheKeys.guild_leaderboards(1))
    await eventually(lambda: reader.memory.get(boards[0]) is None)
    remaining = [key async for key in raw.scan_iter(match=redis_prefix + "leaderboard:*")]
    assert remaining == [redis_prefix + CacheKeys.leaderboard(11, "xp", "all")]


async def test_prefix_invalidation_takes_glob_characters_literally(
    make_cache: MakeCache, raw: Redis, redis_prefix: str
) -> None:
    cache = await make_cache()
    await cache.set("board[1]:a", 1, ttl=60)
    await cache.set("board1:a", 2, ttl=60)
    await cache.invalidate_prefix("board[1]:")
    assert await raw.get(redis_prefix + "board[1]:a") is None
    assert await raw.get(redis_prefix + "board1:a") == "2"


async def test_concurrent_misses_share_one_load_with_redis(make_cache: MakeCache) -> None:
    cache = await make_cache()
    calls = 0

    async def slow_database() -> dict[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"level": 3}

    results = await asyncio.gather(
        *(cache.get_or_load("user:8", slow_database, ttl=60) for _ in range(30))
    )
    assert calls == 1
    assert results == [{"level": 3}] * 30


async def test_a_read_in_progress_when_the_subscription_is_confirmed_is_not_kept(
    redis_url: str, redis_prefix: str, raw: Redis
) -> None:
    """A bot reads while its subscription is still being made: another process may have
    changed the value and announced it before this one listened, so the read is answered but
    its value is kept neither in memory nor in Redis."""
    settings = Settings(cache=CacheSection(redis_url=redis_url, key_prefix=redis_prefix))
    cache = CacheHierarchy.from_settings(settings)
    loading, finish = asyncio.Event(), asyncio.Event()

    async def load() -> dict[str, str]:
        loading.set()
        await finish.wait()
        return {"read": "before the change"}

    try:
        read = asyncio.create_task(cache.get_or_load("guild:1:config", load, ttl=60))
        await loading.wait()
        await cache.start()
        assert cache.listening
        finish.set()
        assert await read == {"read": "before the change"}
        assert cache.memory.get("guild:1:config") is None
        assert await raw.get(redis_prefix + "guild:1:config") is None
    finally:
        await cache.close()


@pytest.mark.parametrize("change", ["invalidate", "invalidate_prefix", "set"])
async def test_a_load_outdated_by_another_process_is_not_stored_in_redis(
    make_cache: MakeCache, raw: Redis, redis_prefix: str, change: str
) -> None:
    """One process reads the database; another changes the value and announces it before the
    read ends. The outdated value must not reach Redis, where every process would read it
    until its TTL ends (its own memory drops it when the announcement arrives)."""
    reader, writer, third = await make_cache(), await make_cache(), await make_cache()
    key = CacheKeys.guild_config(1)
    reading, release = asyncio.Event(), asyncio.Event()
    late: list[Invalidation] = []
    listener = reader._listener
    assert listener is not None
    apply = listener._on_invalidation
    listener._on_invalidation = late.append  # the announcement reaches the reader late

    async def read_before_the_change() -> dict[str, Any]:
        reading.set()
        await release.wait()
        return {"no_xp_role_ids": []}

    load = asyncio.create_task(reader.get_or_load(key, read_before_the_change, ttl=300))
    await reading.wait()
    if change == "invalidate":
        await writer.invalidate(key)
    elif change == "invalidate_prefix":
        await writer.invalidate_prefix(CacheKeys.guild_config(1))
    else:
        await writer.set(key, {"no_xp_role_ids": [7]}, ttl=300)
    release.set()
    assert await load == {"no_xp_role_ids": []}
    stored = await raw.get(redis_prefix + key)
    assert stored is None or json.loads(stored) == {"no_xp_role_ids": [7]}
    await eventually(lambda: bool(late))
    for invalidation in late:
        apply(invalidation)
    assert reader.memory.get(key) is None
    fresh = await third.get_or_load(key, lambda: constant({"no_xp_role_ids": [7]}), ttl=300)
    assert fresh == {"no_xp_role_ids": [7]}


async def test_a_change_of_another_key_does_not_keep_a_load_out_of_redis(
    make_cache: MakeCache, raw: Redis, redis_prefix: str
) -> None:
    reader, writer = await make_cache(), await make_cache()
    key, other = CacheKeys.guild_config(1), CacheKeys.guild_config(2)
    reading, release = asyncio.Event(), asyncio.Event()

    async def read() -> dict[str, Any]:
        reading.set()
        await release.wait()
        return {"no_xp_role_ids": [7]}

    load = asyncio.create_task(reader.get_or_load(key, read, ttl=300))
    await reading.wait()
    await writer.invalidate(other)
    release.set()
    await load
    assert json.loads(await raw.get(redis_prefix + key)) == {"no_xp_role_ids": [7]}
