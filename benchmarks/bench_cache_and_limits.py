"""Throughput of the cache tiers and the rate limiter, in operations per second.

Run: ``.venv/bin/python benchmarks/bench_cache_and_limits.py [--redis redis://127.0.0.1:6379/0]``.
With ``--redis`` the Redis tier and the shared limiter are measured too, under a key prefix of
this run's own that is deleted afterwards. The limiter's first hit of a member asks Redis; the
second, well under the limit (5 in 10 s), is decided by the process and sent in the background.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from botfleet.cache import CacheHierarchy, CacheKeys, MemoryCache, ResilientRedis
from botfleet.services.rate_limit import RateLimiter, RateLimitRule

OPERATIONS = 20_000
CONCURRENCY = 50


async def measure(label: str, operation: Callable[[int], Awaitable[object]], count: int) -> None:
    """Run ``operation`` ``count`` times, ``CONCURRENCY`` at a time, and print the rate."""
    started = time.perf_counter()
    for start in range(0, count, CONCURRENCY):
        await asyncio.gather(*(operation(i) for i in range(start, min(start + CONCURRENCY, count))))
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count / elapsed:>12,.0f} ops/s  ({elapsed * 1000 / count:.3f} ms each)")


def memory_only() -> None:
    cache = MemoryCache(max_entries=10_000)
    started = time.perf_counter()
    for i in range(OPERATIONS * 5):
        cache.set(CacheKeys.user(i), {"level": i}, 3600)
        cache.get(CacheKeys.user(i // 2))
    elapsed = time.perf_counter() - started
    print(f"{'memory tier set+get (LRU, 10k bound)':<44} {OPERATIONS * 5 / elapsed:>12,.0f} ops/s")


async def hierarchy(redis_url: str | None, prefix: str) -> None:
    redis = ResilientRedis.from_url(redis_url, retry_interval=5) if redis_url else None
    cache = CacheHierarchy(MemoryCache(10_000), redis, key_prefix=prefix, owns_redis=True)
    await cache.start()
    tier = "memory + Redis" if redis else "memory only"

    async def load(i: int) -> dict[str, int]:
        return {"user": i}

    try:
        await measure(
            f"hierarchy set ({tier})",
            lambda i: cache.set(CacheKeys.user(i), {"user": i}, 3600),
            OPERATIONS // 4,
        )
        await measure(
            f"hierarchy get, memory hit ({tier})",
            lambda i: cache.get(CacheKeys.user(i % 1000)),
            OPERATIONS,
        )
        await measure(
            f"hierarchy get_or_load, miss ({tier})",
            lambda i: cache.get_or_load(CacheKeys.guild_config(i), lambda: load(i), 60),
            OPERATIONS // 4,
        )
        if redis is not None:
            await cache.invalidate_prefix("")
    finally:
        await cache.close()


async def limiter(redis_url: str | None, prefix: str) -> None:
    redis = ResilientRedis.from_url(redis_url, retry_interval=5) if redis_url else None
    limits = RateLimiter(
        RateLimitRule(limit=5, window=10), redis=redis, key_prefix=prefix, owns_redis=True
    )
    kind = "Redis" if redis else "memory"
    members = OPERATIONS // 4
    try:
        await measure(
            f"rate limiter, a member's first hit ({kind})",
            lambda i: limits.hit(i, "ping"),
            members,
        )
        await measure(
            f"rate limiter, the same member again ({kind})",
            lambda i: limits.hit(i, "ping"),
            members,
        )
    finally:
        if redis is not None:
            client = redis.client
            keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
            if keys:
                await client.delete(*keys)
        await limits.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", help="Redis URL to measure the Redis tier against")
    args = parser.parse_args()
    prefix = f"botfleet-bench:{uuid.uuid4().hex[:8]}:"
    memory_only()
    await hierarchy(None, prefix)
    await limiter(None, prefix)
    if args.redis:
        await hierarchy(args.redis, prefix)
        await limiter(args.redis, prefix)


if __name__ == "__main__":
    asyncio.run(main())
