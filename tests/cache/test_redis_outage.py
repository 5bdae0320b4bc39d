"""Redis going away and coming back: answers keep coming, one warning, Redis used again.

The cache and the rate limiter share one :class:`ResilientRedis`, as in a bot process, so the
outage is logged once for both. Outage timing runs on a fake clock: the test decides when the
retry interval has passed instead of sleeping through it. The Lua scripts, sent by hash,
are loaded again by a Redis restarted without them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import pytest
from fake_clock import FakeClock
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from botfleet.cache import CacheHierarchy, CacheKeys, MemoryCache, ResilientRedis
from botfleet.config.schema import CacheSection, RateLimitsSection, Settings
from botfleet.gamification.cooldowns import Claim, MessageCooldowns
from botfleet.sandbox.redis_process import ThrowawayRedis
from botfleet.services.rate_limit import RateLimiter, RateLimitRule

RETRY_INTERVAL = 30.0
PROBES_AFTER_THAW = 5
PREFIX = "outage-test:"
SCRIPTS_PREFIX = "scripts-test:"


async def constant(value: Any) -> Any:
    return value


async def eventually(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never became true")


async def recorded(raw: Redis, key: str) -> bool:
    """Whether ``key`` reaches Redis within five seconds: a member's first command is
    decided at once and sent to Redis in the background."""
    for _ in range(500):
        if await raw.exists(key):
            return True
        await asyncio.sleep(0.01)
    return False


def botfleet_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("botfleet") and record.levelno == level
    ]


@pytest.fixture
async def raw(redis_server: ThrowawayRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(
        redis_server.url,
        decode_responses=True,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    yield client
    await client.aclose()


async def test_an_unreachable_redis_costs_one_warning_and_no_answer(
    dead_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botfleet")
    settings = Settings(
        cache=CacheSection(redis_url=dead_redis_url, key_prefix=PREFIX),
        rate_limits=RateLimitsSection(commands_per_user=2, time_window=60),
    )
    redis = ResilientRedis.from_settings(settings)
    assert redis is not None
    cache = CacheHierarchy.from_settings(settings, redis=redis)
    limiter = RateLimiter.from_settings(settings, redis=redis)
    try:
        await cache.start()
        assert not cache.listening
        for user_id in range(20):
            loader = partial(constant, {"id": user_id})
            assert await cache.get_or_load(CacheKeys.user(user_id), loader, ttl=60) == {
                "id": user_id
            }
        await cache.set("guild:1:config", {"prefix": "?"}, ttl=60)
        assert await cache.get("guild:1:config") == {"prefix": "?"}
        await cache.invalidate("guild:1:config")
        await cache.invalidate_prefix("user:")
        assert await cache.get("user:3") is None
        verdicts = [await limiter.hit(1, "ping") for _ in range(3)]
        assert [verdict.allowed for verdict in verdicts] == [True, True, False]
    finally:
        await cache.close()
        await limiter.close()
        await redis.close()
    warnings = botfleet_records(caplog, logging.WARNING)
    assert len(warnings) == 1, warnings
    assert "unreachable" in warnings[0]
    assert dead_redis_url.rsplit(":", 1)[1].split("/", maxsplit=1)[0] in warnings[0]


async def test_a_redis_that_dies_is_used_again_after_the_retry_interval(
    redis_server: ThrowawayRedis, raw: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botfleet")
    clock = FakeClock()
    redis = ResilientRedis.from_url(redis_server.url, retry_interval=RETRY_INTERVAL, clock=clock)
    cache = CacheHierarchy(MemoryCache(100), redis, key_prefix=PREFIX)
    limiter = RateLimiter(RateLimitRule(3, 60), redis=redis, key_prefix=PREFIX)
    try:
        await cache.start()
        await cache.set("user:1", {"xp": 1}, ttl=60)
        assert await raw.get(PREFIX + "user:1") == '{"xp":1}'
        assert (await limiter.hit(1, "ping")).allowed
        assert await recorded(raw, PREFIX + "ratelimit:1:ping")

        await redis_server.stop()
        assert await cache.get("user:1") == {"xp": 1}
        assert await cache.get_or_load("user:2", partial(constant, {"xp": 2}), ttl=60) == {"xp": 2}
        await cache.set("user:1", {"xp": 5}, ttl=60)
        assert await cache.get("user:1") == {"xp": 5}
        verdicts = [await limiter.hit(1, "ping") for _ in range(4)]
        assert [verdict.allowed for verdict in verdicts] == [True, True, True, False]
        await eventually(lambda: not cache.listening)
        assert redis.in_outage

        clock.advance(RETRY_INTERVAL)
        assert await cache.get("user:404") is None, "a failed probe still answers"
        assert redis.in_outage

        await redis_server.start()
        await cache.set("user:3", {"xp": 3}, ttl=60)
        assert not await raw.exists(PREFIX + "user:3"), "Redis must rest for the retry interval"

        clock.advance(RETRY_INTERVAL)
        await cache.set("user:3", {"xp": 3}, ttl=60)
        assert await raw.get(PREFIX + "user:3") == '{"xp":3}'
        assert not redis.in_outage
        assert (await limiter.hit(2, "ping")).allowed
        assert await recorded(raw, PREFIX + "ratelimit:2:ping"), "the script is reloaded"
        await eventually(lambda: cache.listening)
        assert cache.memory.get("user:2") is None, "memory is emptied after missed messages"
    finally:
        await cache.close()
        await limiter.close()
        await redis.close()
    assert len(botfleet_records(caplog, logging.WARNING)) == 1
    recoveries = [line for line in botfleet_records(caplog, logging.INFO) if "again" in line]
    assert len(recoveries) == 1, recoveries


async def test_a_frozen_redis_times_out_and_missed_writes_are_replayed(
    redis_server: ThrowawayRedis, raw: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="botfleet")
    clock = FakeClock()
    redis = ResilientRedis.from_url(
        redis_server.url, retry_interval=RETRY_INTERVAL, socket_timeout=0.3, clock=clock
    )
    writer = CacheHierarchy(MemoryCache(100), redis, key_prefix=PREFIX, owns_redis=True)
    reader_redis = ResilientRedis.from_url(redis_server.url, retry_interval=RETRY_INTERVAL)
    reader = CacheHierarchy(MemoryCache(100), reader_redis, key_prefix=PREFIX, owns_redis=True)
    try:
        await writer.start()
        await reader.start()
        await writer.set("user:1", {"premium": False}, ttl=600)
        assert await reader.get("user:1") == {"premium": False}

        redis_server.freeze()
        try:
            assert await asyncio.wait_for(writer.get("user:9"), timeout=10) is None
            assert redis.in_outage
            await writer.set("user:1", {"premium": True}, ttl=600)
            assert await writer.get("user:1") == {"premium": True}
        finally:
            redis_server.thaw()
        assert await raw.get(PREFIX + "user:1") == '{"premium":false}', "Redis missed the write"

        # Redis just thawed answers its backlog first: under load a probe can still time out
        # (0.3 s here), and the cache then retries at the next interval, as in production.
        for _ in range(PROBES_AFTER_THAW):
            clock.advance(RETRY_INTERVAL)
            assert await writer.get("user:9") is None
            if not redis.in_outage:
                break
        assert not redis.in_outage, "Redis was never used again after it came back"
        assert await raw.get(PREFIX + "user:1") is None, "the missed write was replayed"
        await eventually(lambda: reader.memory.get("user:1") is None)
        assert await reader.get("user:1") is None
    finally:
        await writer.close()
        await reader.close()
    assert len(botfleet_records(caplog, logging.WARNING)) == 1


async def script_calls(raw: Redis) -> dict[str, int]:
    """How many EVAL and EVALSHA commands the server ran since it started."""
    stats = await raw.info("commandstats")
    return {
        name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("eval", "evalsha")
    }


async def test_scripts_are_sent_by_hash_and_loaded_again_after_a_restart(
    redis_server: ThrowawayRedis, raw: Redis
) -> None:
    redis = ResilientRedis.from_url(redis_server.url, retry_interval=0.1)
    cache = CacheHierarchy(MemoryCache(100), redis, key_prefix=SCRIPTS_PREFIX, owns_redis=True)
    cooldowns = MessageCooldowns(redis, SCRIPTS_PREFIX, batch_window=0)
    await cache.start()
    try:
        for number in range(3):
            await cache.get_or_load(f"user:{number}", lambda n=number: constant(n), ttl=60)
        assert await cooldowns.claim(1, 10, 100, time.time(), 60) is Claim.AWARDED
        assert await cooldowns.claim(1, 11, 200, time.time(), 60) is Claim.AWARDED
        stored = [await raw.get(f"{SCRIPTS_PREFIX}user:{n}") for n in range(3)]
        assert [json.loads(payload) for payload in stored] == [0, 1, 2]

        calls = await script_calls(raw)
        assert calls["eval"] == 0, "no script's source is sent with its call"
        assert calls["evalsha"] >= 5, "three fills and two lease batches, each by hash"

        await redis_server.stop()
        await redis_server.start()
        for _ in range(100):
            cache.memory.clear()
            await cache.get_or_load("user:3", lambda: constant(3), ttl=60)
            if await raw.get(f"{SCRIPTS_PREFIX}user:3") is not None:
                break
            await asyncio.sleep(0.05)
        assert json.loads(await raw.get(f"{SCRIPTS_PREFIX}user:3")) == 3, "a fill after the restart"
        assert await cooldowns.claim(1, 12, 300, time.time(), 60) is Claim.AWARDED
        assert await raw.exists(cooldowns.lease_key(1, 12)) == 1, "a lease after the restart"
        await cooldowns.release()
        assert await raw.exists(cooldowns.lease_key(1, 12)) == 0, "given back"
        assert (await script_calls(raw))["eval"] == 0
    finally:
        await cache.close()
