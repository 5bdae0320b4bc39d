"""Rate limiting: sliding-window budgets in memory and on the real Redis shared by processes.

Stopping Redis in the middle of a run is covered with the cache, which shares the same outage
handling, in ``tests/cache/test_redis_outage.py``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from botfleet.cache import ResilientRedis
from botfleet.config.schema import CacheSection, CommandRateLimit, RateLimitsSection, Settings
from botfleet.services.rate_limit import (
    LocalRateLimiter,
    RateLimited,
    RateLimiter,
    RateLimitResult,
    RateLimitRule,
    fast_share,
)

MakeLimiter = Callable[[RateLimitRule], Awaitable[RateLimiter]]


class StepClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
async def make_limiter(redis_url: str, redis_prefix: str) -> AsyncIterator[MakeLimiter]:
    """Limiters on the real Redis, each with its own connection like a separate bot process."""
    limiters: list[RateLimiter] = []

    async def make(rule: RateLimitRule) -> RateLimiter:
        # Roomy timeouts: these tests are about atomic budgets, not about a slow Redis.
        redis = ResilientRedis.from_url(redis_url, retry_interval=60, socket_timeout=10)
        limiter = RateLimiter(rule, redis=redis, key_prefix=redis_prefix, owns_redis=True)
        limiters.append(limiter)
        return limiter

    yield make
    for limiter in limiters:
        await limiter.close()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


def allowed(results: list[RateLimitResult]) -> int:
    return sum(result.allowed for result in results)


def test_a_rule_needs_a_budget_and_a_window() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        RateLimitRule(0, 10)
    with pytest.raises(ValueError, match="window > 0"):
        RateLimitRule(1, 0)


def test_the_budget_is_spent_then_refused_until_a_hit_leaves_the_window(
    clock: StepClock,
) -> None:
    local = LocalRateLimiter(sweep_every=10, clock=clock)
    rule = RateLimitRule(3, 10)
    remaining = []
    for _ in range(3):
        remaining.append(local.hit("b", rule).remaining)
        clock.now += 2
    assert remaining == [2, 1, 0]
    clock.now = 505.0
    assert local.hit("b", rule) == RateLimitResult(False, 0, 5.0)
    clock.now = 509.5
    assert local.hit("b", rule) == RateLimitResult(False, 0, 0.5)
    clock.now = 510.0
    assert local.hit("b", rule) == RateLimitResult(True, 0, 0.0)
    assert local.hit("b", rule) == RateLimitResult(False, 0, 2.0)


def test_a_lowered_limit_waits_for_enough_hits_to_leave(clock: StepClock) -> None:
    local = LocalRateLimiter(sweep_every=10, clock=clock)
    for _ in range(3):
        local.hit("b", RateLimitRule(3, 10))
        clock.now += 1
    assert local.hit("b", RateLimitRule(1, 10)) == RateLimitResult(False, 0, 9.0)


def test_idle_buckets_are_pruned(clock: StepClock) -> None:
    local = LocalRateLimiter(sweep_every=10, clock=clock)
    rule = RateLimitRule(2, 10)
    for user_id in range(1000):
        local.hit(f"ratelimit:{user_id}:ping", rule)
    clock.now += 5
    local.hit("ratelimit:active:ping", rule)
    clock.now += 6
    local.hit("ratelimit:newcomer:ping", rule)
    assert len(local) == 2


async def test_commands_and_members_have_their_own_budgets(clock: StepClock) -> None:
    limiter = RateLimiter(
        RateLimitRule(2, 10), overrides={"daily": RateLimitRule(1, 86_400)}, clock=clock
    )
    assert allowed([await limiter.hit(1, "ping") for _ in range(3)]) == 2
    assert allowed([await limiter.hit(2, "ping") for _ in range(3)]) == 2
    assert allowed([await limiter.hit(1, "hangman") for _ in range(3)]) == 2
    daily = [await limiter.hit(1, "daily") for _ in range(2)]
    assert allowed(daily) == 1
    assert daily[1].retry_after == 86_400


async def test_enforce_raises_with_the_wait(clock: StepClock) -> None:
    limiter = RateLimiter(RateLimitRule(1, 30), clock=clock)
    assert (await limiter.enforce(1, "quiz")).allowed
    clock.now += 10
    with pytest.raises(RateLimited) as caught:
        await limiter.enforce(1, "quiz")
    assert caught.value.retry_after == 20
    assert caught.value.command == "quiz"
    assert "20.0s" in str(caught.value)


async def test_from_settings_without_redis_counts_in_memory() -> None:
    settings = Settings(rate_limits=RateLimitsSection(commands_per_user=4, time_window=7))
    limiter = RateLimiter.from_settings(settings)
    try:
        assert limiter.shared is None
        assert limiter.rule == RateLimitRule(4, 7)
        assert allowed([await limiter.hit(1, "ping") for _ in range(6)]) == 4
    finally:
        await limiter.close()


async def test_configured_per_command_budgets_override_the_default() -> None:
    settings = Settings(
        rate_limits=RateLimitsSection(
            commands_per_user=5,
            time_window=10,
            commands={"hangman start": CommandRateLimit(commands_per_user=1, time_window=30)},
        )
    )
    limiter = RateLimiter.from_settings(
        settings, overrides={"bee guess": RateLimitRule(limit=20, window=10)}
    )
    try:
        assert limiter.rule_for("hangman start") == RateLimitRule(1, 30)
        assert limiter.rule_for("bee guess") == RateLimitRule(20, 10)
        assert limiter.rule_for("ping") == RateLimitRule(5, 10)
        assert allowed([await limiter.hit(1, "hangman start") for _ in range(3)]) == 1
    finally:
        await limiter.close()


async def test_concurrent_hits_in_memory_never_exceed_the_budget() -> None:
    limiter = RateLimiter(RateLimitRule(5, 60))
    results = await asyncio.gather(*(limiter.hit(1, "ping") for _ in range(100)))
    assert allowed(list(results)) == 5


async def test_redis_keeps_the_bucket_of_the_architecture(
    make_limiter: MakeLimiter, raw: Redis, redis_prefix: str
) -> None:
    limiter = await make_limiter(RateLimitRule(3, 10))
    results = [await limiter.hit(7, "quiz") for _ in range(4)]
    assert [result.remaining for result in results[:3]] == [2, 1, 0]
    assert not results[3].allowed
    assert 0 < results[3].retry_after <= 10
    bucket = redis_prefix + "ratelimit:7:quiz"
    assert await raw.zcard(bucket) == 3
    assert 0 < await raw.pttl(bucket) <= 10_000


async def test_two_processes_spend_one_budget(make_limiter: MakeLimiter) -> None:
    rule = RateLimitRule(4, 60)
    first, second = await make_limiter(rule), await make_limiter(rule)
    results = []
    for _ in range(4):
        results.append(await first.hit(1, "ping"))
        results.append(await second.hit(1, "ping"))
    assert [result.allowed for result in results] == [True] * 4 + [False] * 4
    assert results[0].remaining == 3, "a first command, decided at once, counts its own hit"
    assert results[3].remaining == 0, "near the limit the shared count answers, exactly"


async def test_concurrent_hits_from_two_processes_stay_within_the_stated_bound(
    make_limiter: MakeLimiter,
) -> None:
    # Each process may allow its fast share before it hears of the other's hits (which of the
    # two scripts Redis runs first depends on which connection opens first): the module's bound.
    rule = RateLimitRule(5, 60)
    first, second = await make_limiter(rule), await make_limiter(rule)
    results = await asyncio.gather(
        *(limiter.hit(1, "ping") for _ in range(30) for limiter in (first, second))
    )
    assert rule.limit <= allowed(list(results)) <= rule.limit + fast_share(rule)

    # With no fast share every hit is decided by the atomic script: exactly the budget.
    exact = RateLimitRule(2, 60)
    third, fourth = await make_limiter(exact), await make_limiter(exact)
    results = await asyncio.gather(
        *(limiter.hit(2, "ping") for _ in range(30) for limiter in (third, fourth))
    )
    assert allowed(list(results)) == exact.limit
    for limiter in (first, second, third, fourth):
        assert limiter.redis is not None
        assert not limiter.redis.in_outage


async def test_the_redis_window_slides_and_resets(
    make_limiter: MakeLimiter, raw: Redis, redis_prefix: str
) -> None:
    limiter = await make_limiter(RateLimitRule(2, 1.0))
    assert (await limiter.hit(1, "ping")).allowed
    await asyncio.sleep(0.5)
    assert (await limiter.hit(1, "ping")).allowed
    refused = await limiter.hit(1, "ping")
    assert not refused.allowed
    # At least 0.5 s of the first hit's 1 s have passed (give or take a millisecond).
    assert 0 < refused.retry_after <= 0.501

    await asyncio.sleep(refused.retry_after + 0.02)
    again = await limiter.hit(1, "ping")
    assert again.allowed
    assert again.remaining == 0, "the second hit is still in the window"

    await asyncio.sleep(1.1)
    assert not await raw.exists(redis_prefix + "ratelimit:1:ping")
    assert (await limiter.hit(1, "ping")).remaining == 1


async def test_a_lowered_redis_limit_waits_for_enough_hits_to_leave(
    make_limiter: MakeLimiter,
) -> None:
    before, after = (
        await make_limiter(RateLimitRule(3, 10)),
        await make_limiter(RateLimitRule(1, 10)),
    )
    await before.hit(1, "ping")
    await asyncio.sleep(0.3)
    await before.hit(1, "ping")
    await before.hit(1, "ping")
    refused = await after.hit(1, "ping")
    assert not refused.allowed
    # Under a limit of one, the newest hit blocks, not the oldest (which leaves 0.3 s earlier).
    assert 9.75 < refused.retry_after <= 10


async def test_without_reachable_redis_the_limiter_counts_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    settings = Settings(
        cache=CacheSection(redis_url=f"redis://127.0.0.1:{dead_port}/0"),
        rate_limits=RateLimitsSection(commands_per_user=2, time_window=60),
    )
    limiter = RateLimiter.from_settings(settings)
    try:
        results = [await limiter.hit(1, "ping") for _ in range(12)]
    finally:
        await limiter.close()
    assert allowed(results) == 2
    assert 59 < results[2].retry_after <= 60
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1


async def test_each_bot_has_its_own_budget_in_a_shared_redis(
    redis_url: str, redis_prefix: str, raw: Redis
) -> None:
    settings = Settings(
        rate_limits=RateLimitsSection(commands_per_user=1, time_window=60),
        cache=CacheSection(redis_url=redis_url, key_prefix=redis_prefix),
    )
    hangman = RateLimiter.from_settings(settings, scope="hangman")
    grammar = RateLimiter.from_settings(settings, scope="grammar")
    second_hangman = RateLimiter.from_settings(settings, scope="hangman")
    try:
        assert (await hangman.hit(9, "ping")).allowed
        assert (await grammar.hit(9, "ping")).allowed, "another bot's /ping has its own budget"
        assert not (await second_hangman.hit(9, "ping")).allowed, "one bot's processes share one"
        assert await raw.zcard(redis_prefix + "hangman:ratelimit:9:ping") == 1
    finally:
        for limiter in (hangman, grammar, second_hangman):
            await limiter.close()


def commands_sent(limiter: RateLimiter, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every command ``limiter`` sends to Redis from now on, through its real client."""
    assert limiter.redis is not None
    client = limiter.redis.client
    real: Callable[..., Awaitable[Any]] = client.execute_command
    sent: list[tuple[Any, ...]] = []

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(args)
        return await real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    return sent


async def test_under_the_limit_no_round_trip_is_awaited_and_near_it_the_shared_count_decides(
    make_limiter: MakeLimiter, raw: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = RateLimitRule(5, 60)  # a fast share of 2
    first, second = await make_limiter(rule), await make_limiter(rule)
    sent = commands_sent(second, monkeypatch)
    loop = asyncio.get_running_loop()
    oldest_hit = loop.time()
    assert (await second.hit(1, "ping")).remaining == 4
    assert sent == [], "a member's first command in this process does not wait for Redis"
    await asyncio.sleep(0.1)
    assert sent, "it reached Redis in the background"
    for _ in range(3):
        assert (await first.hit(1, "ping")).allowed

    before = len(sent)
    at_once = await second.hit(1, "ping")
    assert at_once.allowed
    assert len(sent) == before, "clearly under the limit as far as it knows: no round trip"
    await asyncio.sleep(0.1)
    assert len(sent) > before, "the hit reached Redis in the background"
    assert await raw.zcard(redis_prefix + "ratelimit:1:ping") == 5

    before = len(sent)
    refused = await second.hit(1, "ping")
    assert len(sent) > before
    assert not refused.allowed, "the shared count, spent by the other process, decides"
    waited = loop.time() - oldest_hit  # over a second on a busy machine
    assert rule.window - waited - 0.1 < refused.retry_after <= rule.window, "the oldest leaves"


async def test_a_first_command_in_a_process_is_decided_at_once_within_the_bound(
    make_limiter: MakeLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = RateLimitRule(5, 60)
    first = await make_limiter(rule)
    spent = [await first.hit(1, "ping") for _ in range(6)]
    assert allowed(spent) == rule.limit

    # A process that never heard of the member allows its fast share on its own; the script
    # refuses the next command: one other process's fast share on top, the stated bound.
    fresh = await make_limiter(rule)
    sent = commands_sent(fresh, monkeypatch)
    late = [await fresh.hit(1, "ping") for _ in range(fast_share(rule))]
    assert sent == [], "no round trip awaited"
    late.append(await fresh.hit(1, "ping"))
    assert [verdict.allowed for verdict in late] == [True, True, False]
    assert sent, "near the limit the shared count decides"
    assert allowed(spent + late) == rule.limit + fast_share(rule)

    exact = await make_limiter(RateLimitRule(2, 60))  # no fast share: every hit asks Redis
    sent = commands_sent(exact, monkeypatch)
    assert not (await exact.hit(1, "ping")).allowed
    assert sent


async def test_hits_allowed_at_once_reach_redis_in_one_call(
    make_limiter: MakeLimiter, raw: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = await make_limiter(RateLimitRule(5, 60))
    members = range(20)
    for member in members:
        await limiter.hit(member, "ping")
    sent = commands_sent(limiter, monkeypatch)
    assert all([(await limiter.hit(member, "ping")).remaining == 3 for member in members])
    assert sent == []
    await asyncio.sleep(0.1)
    calls = [command for command in sent if command[0] == "EVALSHA"]
    assert calls, "nothing was sent"
    assert {command[2] for command in calls} == {len(members)}, "one script call for them all"
    for member in members:
        assert await raw.zcard(f"{redis_prefix}ratelimit:{member}:ping") == 2


async def test_two_processes_exceed_a_budget_by_at_most_the_fast_share_of_the_other(
    make_limiter: MakeLimiter, raw: Redis, redis_prefix: str
) -> None:
    rule = RateLimitRule(5, 1.0)
    bound = rule.limit + fast_share(rule)  # two processes: one other process's fast share, 2
    first, second = await make_limiter(rule), await make_limiter(rule)
    await first.hit(1, "ping")
    await second.hit(1, "ping")
    await until_the_window_is_empty(raw, redis_prefix + "ratelimit:1:ping", rule)

    # The worst case: the first process spends the budget, then the second one, which last
    # heard of the bucket before, allows its fast share before the script refuses.
    spent = [await first.hit(1, "ping") for _ in range(6)]
    late = [await second.hit(1, "ping") for _ in range(3)]
    assert [verdict.allowed for verdict in spent] == [True] * 5 + [False]
    assert [verdict.allowed for verdict in late] == [True, True, False]
    assert allowed(spent + late) == bound == 7
    await asyncio.sleep(0.05)
    assert await raw.zcard(redis_prefix + "ratelimit:1:ping") == bound

    # Both processes hitting at random for three windows: never more than the bound in any
    # window (measured on the hits' own clock, which sees a reply late under load, so over a
    # little less than the server's window).
    await until_the_window_is_empty(raw, redis_prefix + "ratelimit:1:ping", rule)
    loop = asyncio.get_running_loop()
    allowed_at: list[float] = []

    async def member(limiter: RateLimiter, seed: int) -> None:
        pace = random.Random(seed)
        end = loop.time() + 3 * rule.window
        while loop.time() < end:
            if (await limiter.hit(1, "ping")).allowed:
                allowed_at.append(loop.time())
            await asyncio.sleep(pace.uniform(0, 0.03))

    await asyncio.gather(member(first, 1), member(second, 2))
    allowed_at.sort()
    span = rule.window - 0.2
    most = max(
        sum(1 for other in allowed_at if start <= other < start + span) for start in allowed_at
    )
    assert rule.limit <= most <= bound


async def until_the_window_is_empty(raw: Redis, bucket: str, rule: RateLimitRule) -> None:
    """Wait until every hit has left the bucket's window on the server's clock (its key expires
    a window after the newest hit, which a loaded machine may send late), then a little more for
    the processes' own reckoning of it."""
    await asyncio.sleep(rule.window)
    async with asyncio.timeout(10 * rule.window):
        while await raw.exists(bucket):  # noqa: ASYNC110  (Redis announces no expiry here)
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # a reply read late puts a hit's local leaving time later
