"""Per-user, per-command rate limiting, shared by every process of the fleet.

Each member may run a command ``limit`` times within any ``window`` seconds (a sliding window:
no burst of twice the budget across a window boundary). With Redis, one Lua script checks and
records a hit atomically in the bucket ``ratelimit:{user_id}:{command}`` and uses the server's
clock, so all bot processes spend one budget. Without Redis, or while it is away, each process
keeps the same windows in memory (see :mod:`botfleet.cache.resilience` for the outage policy).
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from botfleet.cache.keys import CacheKeys
from botfleet.cache.memory import Clock
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis
from botfleet.config.schema import Settings
from botfleet.errors import BotfleetError

if TYPE_CHECKING:
    from redis.asyncio import Redis

SLIDING_WINDOW_SCRIPT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], window)
    return {1, limit - count - 1, 0}
end
local blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, 0, tonumber(blocking[2]) + window - now}
"""
"""Sliding-window log in a sorted set: one member per allowed hit, scored in server milliseconds.

Milliseconds (13 digits) survive Lua's number-to-string conversion exactly; microseconds would
not. A denied hit is not recorded, so hammering a command does not extend the wait. The wait is
until the hit that makes the window full leaves it.
"""


@dataclass(frozen=True)
class RateLimitRule:
    """``limit`` commands per member within any ``window`` seconds."""

    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and window > 0, got {self}")


@dataclass(frozen=True)
class RateLimitResult:
    """The verdict on one command: whether it may run, and when the next one may."""

    allowed: bool
    remaining: int
    """Commands still allowed in the current window after this one."""
    retry_after: float
    """Seconds until a command is allowed again (0 when this one was allowed)."""


class RateLimited(BotfleetError):  # noqa: N818  # named after the state, like discord.py's errors
    """A member spent their budget for a command; the bot base answers with ``retry_after``."""

    def __init__(self, retry_after: float, command: str | None = None) -> None:
        where = f" on {command!r}" if command else ""
        super().__init__(f"rate limited{where} for {retry_after:.1f}s")
        self.retry_after = retry_after
        self.command = command


@dataclass
class _Window:
    span: float
    hits: deque[float] = field(default_factory=deque)


class LocalRateLimiter:
    """The sliding windows of one process, for when there is no Redis to share them.

    Buckets whose hits have all left their window are swept every ``sweep_every`` seconds, so
    memory holds only members active recently.
    """

    def __init__(self, *, sweep_every: float, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._sweep_every = sweep_every
        self._next_sweep = clock() + sweep_every
        self._windows: dict[str, _Window] = {}

    def __len__(self) -> int:
        """Buckets held in memory."""
        return len(self._windows)

    def hit(self, bucket: str, rule: RateLimitRule) -> RateLimitResult:
        """Record a hit on ``bucket`` if ``rule`` allows it; say when the next one may come."""
        now = self._clock()
        self._sweep(now)
        window = self._windows.setdefault(bucket, _Window(rule.window))
        window.span = rule.window
        hits = window.hits
        while hits and hits[0] <= now - rule.window:
            hits.popleft()
        if len(hits) < rule.limit:
            hits.append(now)
            return RateLimitResult(True, rule.limit - len(hits), 0.0)
        blocking = hits[len(hits) - rule.limit]
        return RateLimitResult(False, 0, blocking + rule.window - now)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_every
        idle = [
            name for name, w in self._windows.items() if not w.hits or w.hits[-1] <= now - w.span
        ]
        for name in idle:
            del self._windows[name]


class SharedRateLimiter:
    """The sliding windows in Redis, one budget for every process of the fleet."""

    def __init__(self, redis: ResilientRedis, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._script = redis.client.register_script(SLIDING_WINDOW_SCRIPT)

    async def hit(self, bucket: str, rule: RateLimitRule) -> RateLimitResult:
        """Record a hit on ``bucket`` atomically; raise ``RedisUnavailableError`` to fall back."""
        arguments: list[int | str] = [
            rule.limit,
            max(1, round(rule.window * 1000)),
            uuid.uuid4().hex,
        ]

        async def operation(client: Redis) -> Any:
            return await self._script(
                keys=[self.key_prefix + bucket], args=arguments, client=client
            )

        allowed, remaining, retry_ms = await self.redis.call(operation)
        return RateLimitResult(bool(allowed), int(remaining), retry_ms / 1000)


class RateLimiter:
    """Rate limits every command of a bot: fleet-wide through Redis, per process without it."""

    def __init__(
        self,
        rule: RateLimitRule,
        *,
        overrides: Mapping[str, RateLimitRule] | None = None,
        redis: ResilientRedis | None = None,
        key_prefix: str = "",
        clock: Clock = time.monotonic,
        owns_redis: bool = False,
    ) -> None:
        self.rule = rule
        self.overrides = dict(overrides or {})
        self.redis = redis
        self.shared = SharedRateLimiter(redis, key_prefix) if redis is not None else None
        self.local = LocalRateLimiter(sweep_every=rule.window, clock=clock)
        self._owns_redis = owns_redis

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        redis: ResilientRedis | None = None,
        overrides: Mapping[str, RateLimitRule] | None = None,
        scope: str | None = None,
    ) -> Self:
        """The limiter of ``settings.rate_limits``; pass the cache's ``redis`` to share it.

        A ``scope`` (the bot's name) gives each bot budgets of its own in a shared Redis, so
        ``/ping`` on six bots does not draw from one bucket.
        """
        owns_redis = redis is None
        if redis is None:
            redis = ResilientRedis.from_settings(settings)
        limits = settings.rate_limits
        configured = {
            name: RateLimitRule(rule.commands_per_user, rule.time_window)
            for name, rule in limits.commands.items()
        }
        return cls(
            RateLimitRule(limits.commands_per_user, limits.time_window),
            overrides={**configured, **(overrides or {})},
            redis=redis,
            key_prefix=settings.cache.key_prefix + (f"{scope}:" if scope else ""),
            owns_redis=owns_redis,
        )

    def rule_for(self, command: str) -> RateLimitRule:
        """The rule of ``command``: its override, else the default."""
        return self.overrides.get(command, self.rule)

    async def hit(self, user_id: int, command: str) -> RateLimitResult:
        """Spend one of ``user_id``'s uses of ``command`` if the budget allows."""
        return await self.hit_bucket(CacheKeys.rate_limit(user_id, command), self.rule_for(command))

    async def hit_bucket(self, bucket: str, rule: RateLimitRule) -> RateLimitResult:
        """Spend one use of any ``bucket`` (a web API client's, say) under ``rule``."""
        if self.shared is not None:
            try:
                return await self.shared.hit(bucket, rule)
            except RedisUnavailableError:
                pass
        return self.local.hit(bucket, rule)

    async def enforce(self, user_id: int, command: str) -> RateLimitResult:
        """Like :meth:`hit`, but raise :class:`RateLimited` when the command may not run."""
        result = await self.hit(user_id, command)
        if not result.allowed:
            raise RateLimited(result.retry_after, command)
        return result

    async def close(self) -> None:
        """Close Redis if this limiter opened it."""
        if self._owns_redis and self.redis is not None:
            await self.redis.close()
