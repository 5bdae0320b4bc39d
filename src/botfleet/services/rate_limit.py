"""Per-user, per-command rate limiting, shared by every process of the fleet.

Each member may run a command ``limit`` times within any ``window`` seconds (a sliding window:
no burst of twice the budget across a window boundary). With Redis, the bucket
``ratelimit:{user_id}:{command}`` is a sorted set that every bot process writes, scored by the
server's clock, so all processes spend one budget. A process decides at once, without a round
trip, while a member is clearly under the limit: its own hits since it last heard from Redis
plus the count Redis last gave it (none for a bucket it has not heard of: a member's first
command) stay within the *fast share* ``(limit - 1) // 2``; those hits reach Redis in the
background, many buckets in one script call, whose answer gives the count. Nearer the limit,
one script checks and records the hit atomically (with this process's hits not yet sent).
Across ``N`` processes a member therefore gets at most ``limit + (N - 1) * ((limit - 1) // 2)``
commands in any window (exactly ``limit`` with one process, or with a limit of 1 or 2); see
:class:`SharedRateLimiter`. Without Redis, or while it is away, each process keeps the same
windows in memory (see :mod:`botfleet.cache.resilience` for the outage policy).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
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
from botfleet.utils.tasks import cancel_and_wait

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

SLIDING_WINDOW_SCRIPT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local report = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
for i = 5, #ARGV do
    redis.call('ZADD', KEYS[1], 'NX', now, ARGV[i])
end
local count = redis.call('ZCARD', KEYS[1])
local verdict
if count < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    count = count + 1
    verdict = {1, limit - count, 0, count}
else
    local blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    verdict = {0, 0, tonumber(blocking[2]) + window - now, count}
end
if verdict[1] == 1 or #ARGV > 4 then
    redis.call('PEXPIRE', KEYS[1], window)
end
if report > 0 then
    local newest = redis.call('ZREVRANGE', KEYS[1], 0, report - 1, 'WITHSCORES')
    for i = 2, #newest, 2 do
        verdict[#verdict + 1] = tonumber(newest[i]) + window - now
    end
end
return verdict
"""
"""Sliding-window log in a sorted set: one member per allowed hit, scored in server milliseconds.

``ARGV``: limit, window (ms), how many of the newest hits to report, this hit's id, then the ids
of hits this process allowed on its own and has not sent yet (added first, ``NX`` so a resent
one keeps its score). Returns allowed, remaining, the wait (ms), the count, then the
milliseconds until each of the newest ``report`` hits leaves the window.

Milliseconds (13 digits) survive Lua's number-to-string conversion exactly; microseconds would
not. A denied hit is not recorded, so hammering a command does not extend the wait. The wait is
until the hit that makes the window full leaves it.
"""

RECORD_HITS_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local replies = {}
local at = 1
for k = 1, #KEYS do
    local window = tonumber(ARGV[at])
    local report = tonumber(ARGV[at + 1])
    local hits = tonumber(ARGV[at + 2])
    at = at + 3
    redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now - window)
    for i = at, at + hits - 1 do
        redis.call('ZADD', KEYS[k], 'NX', now, ARGV[i])
    end
    at = at + hits
    redis.call('PEXPIRE', KEYS[k], window)
    replies[#replies + 1] = redis.call('ZCARD', KEYS[k])
    local newest = {}
    if report > 0 then
        newest = redis.call('ZREVRANGE', KEYS[k], 0, report - 1, 'WITHSCORES')
    end
    replies[#replies + 1] = #newest / 2
    for i = 2, #newest, 2 do
        replies[#replies + 1] = tonumber(newest[i]) + window - now
    end
end
return replies
"""
"""Records the hits processes allowed on their own, for many buckets in one call.

``ARGV`` per key: window (ms), how many of the newest hits to report, the number of hit ids,
the ids. Returns per key: the count, how many hits are reported, the milliseconds until each
leaves the window (newest first).
"""

FLUSH_DELAY = 0.002
"""Seconds the hits allowed without a round trip wait, so one script call carries many."""

BUCKET_RETENTION = 600.0
"""Seconds a process remembers what Redis said of an idle bucket (it then asks again first)."""


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
    """Commands still allowed in the current window after this one, as far as this process
    knows (a verdict given without asking Redis does not see other processes' latest hits)."""
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


def fast_share(rule: RateLimitRule) -> int:
    """Hits a process may allow without asking Redis: strictly less than half the limit."""
    return (rule.limit - 1) // 2


@dataclass
class _Snapshot:
    """What Redis last said of a bucket: the newest hits' local leaving times, oldest first."""

    sent_after: int
    """The number of the last hit this process allowed before sending: later ones are not in
    the count."""
    leaving: list[float]
    older: int
    """Hits older than those reported, counted as leaving with the oldest reported one."""

    def count(self, now: float) -> int:
        """Hits of every process still in the window at ``now``, as far as Redis said."""
        if not self.leaving:
            return self.older
        present = sum(1 for at in self.leaving if at > now)
        if self.leaving[0] > now:
            present += self.older
        return present


@dataclass
class _SharedBucket:
    """One bucket as this process sees it; at most one request about it is in flight."""

    rule: RateLimitRule
    snapshot: _Snapshot | None = None
    own: deque[tuple[float, int]] = field(default_factory=deque)
    """This process's hits allowed at once (time, number), those after the snapshot unknown
    to its count."""
    unsent: list[str] = field(default_factory=list)
    in_flight: asyncio.Event | None = None
    syncing: bool = False
    used_at: float = 0.0

    def estimate(self, now: float) -> int:
        """This bucket's hits in the window as far as this process knows: its own, and those
        Redis counted when it last answered (none before its first answer)."""
        own, snapshot = self.own, self.snapshot
        sent_after = 0 if snapshot is None else snapshot.sent_after
        while own and (own[0][0] <= now - self.rule.window or own[0][1] <= sent_after):
            own.popleft()
        return len(own) + (0 if snapshot is None else snapshot.count(now))

    def learn(self, sent_after: int, received_at: float, count: int, leaving_ms: list[int]) -> None:
        """Take a reply about this bucket as the new snapshot."""
        leaving = sorted(received_at + ms / 1000 for ms in leaving_ms)
        self.snapshot = _Snapshot(sent_after, leaving, max(0, count - len(leaving)))


class SharedRateLimiter:
    """The sliding windows in Redis, one budget for every process of the fleet.

    A hit is allowed at once, and sent to Redis in the background, when this process's estimate
    — the count Redis last gave plus its own hits since, its own hits alone for a bucket it has
    not heard of yet — leaves the hit within :func:`fast_share`. Otherwise the hit waits for the
    atomic script, which also records this process's unsent hits, and only one request per
    bucket is in flight at a time. Why the overshoot is bounded: in any window a process allows
    at most ``fast_share`` hits on its own (its own hits are in its estimate, whatever it heard
    of the others'; a forgotten bucket is one idle for ``BUCKET_RETENTION``, so for a window
    as long as that one is asked to Redis first), the script allows
    a hit only while Redis counts fewer than ``limit`` (every hit it allowed, and every hit of
    the asking process, included), and after that hit the asking process's estimate includes
    what Redis counted. So only the other processes' own decisions can come on top:
    ``limit + (N - 1) * fast_share`` in a window for ``N`` processes (give or take the few
    milliseconds a background hit takes to reach Redis, which only delay its leaving).
    """

    def __init__(
        self, redis: ResilientRedis, key_prefix: str, *, clock: Clock = time.monotonic
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._clock = clock
        self._script = redis.script(SLIDING_WINDOW_SCRIPT)
        self._record = redis.script(RECORD_HITS_SCRIPT)
        self._buckets: dict[str, _SharedBucket] = {}
        self._process = uuid.uuid4().hex[:12]
        self._hits = itertools.count(1)
        self._last_hit = 0
        self._flusher: asyncio.Task[None] | None = None
        self._next_sweep = clock() + BUCKET_RETENTION

    def __len__(self) -> int:
        """Buckets this process remembers."""
        return len(self._buckets)

    def hit_at_once(self, bucket: str, rule: RateLimitRule) -> RateLimitResult | None:
        """Allow a hit without a round trip if the member is clearly under the limit, else None."""
        share = fast_share(rule)
        if share < 1 or self.redis.in_outage:
            return None
        now = self._clock()
        state = self._buckets.get(bucket)
        if state is None:
            if rule.window > BUCKET_RETENTION:
                return None  # its hits may outlive what this process remembers of them
            self._sweep(now)
            state = self._buckets[bucket] = _SharedBucket(rule)
        if state.syncing:
            return None
        state.rule = rule
        estimate = state.estimate(now)
        if estimate + 1 > share:
            return None
        self._last_hit = next(self._hits)
        state.own.append((now, self._last_hit))
        state.unsent.append(f"{self._process}:{self._last_hit}")
        state.used_at = now
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        return RateLimitResult(True, rule.limit - estimate - 1, 0.0)

    async def hit(self, bucket: str, rule: RateLimitRule) -> RateLimitResult:
        """Check and record a hit atomically; raise ``RedisUnavailableError`` to fall back."""
        now = self._clock()
        self._sweep(now)
        state = self._buckets.get(bucket)
        if state is None:
            state = self._buckets[bucket] = _SharedBucket(rule)
        state.used_at = now
        state.rule = rule
        while state.in_flight is not None:
            await state.in_flight.wait()
        done = state.in_flight = asyncio.Event()
        state.syncing = True
        unsent, state.unsent = state.unsent, []
        share = fast_share(rule)
        arguments: list[int | str] = [
            rule.limit,
            max(1, round(rule.window * 1000)),
            share,
            f"{self._process}:{next(self._hits)}",
            *unsent,
        ]

        async def operation(client: Redis) -> Any:
            return await self._script(
                keys=[self.key_prefix + bucket], args=arguments, client=client
            )

        sent_after = self._last_hit
        try:
            allowed, remaining, retry_ms, count, *leaving = await self.redis.call(operation)
        finally:
            state.in_flight = None
            state.syncing = False
            done.set()
        state.learn(sent_after, self._clock(), int(count), [int(ms) for ms in leaving])
        return RateLimitResult(bool(allowed), int(remaining), retry_ms / 1000)

    async def _flush_soon(self) -> None:
        """Send the hits allowed without a round trip, a batch every ``FLUSH_DELAY``."""
        while True:
            await asyncio.sleep(FLUSH_DELAY)
            batch = {
                name: state
                for name, state in self._buckets.items()
                if state.unsent and state.in_flight is None
            }
            if not batch:
                return
            await self._flush(batch)

    async def _flush(self, batch: dict[str, _SharedBucket]) -> None:
        keys: list[str] = []
        arguments: list[int | str] = []
        done = asyncio.Event()
        for name, state in batch.items():
            keys.append(self.key_prefix + name)
            unsent, state.unsent = state.unsent, []
            arguments += [
                max(1, round(state.rule.window * 1000)),
                fast_share(state.rule),
                len(unsent),
                *unsent,
            ]
            state.in_flight = done

        async def operation(client: Redis) -> Any:
            return await self._record(keys=keys, args=arguments, client=client)

        sent_after = self._last_hit
        try:
            replies = await self.redis.call(operation)
        except RedisUnavailableError:
            return  # the outage policy: each process counts on its own until Redis is back
        except Exception:
            log.exception("recording %d rate-limit buckets in Redis failed", len(keys))
            return
        finally:
            for state in batch.values():
                state.in_flight = None
            done.set()
        received_at = self._clock()
        at = 0
        for state in batch.values():
            count, reported = int(replies[at]), int(replies[at + 1])
            state.learn(sent_after, received_at, count, replies[at + 2 : at + 2 + reported])
            at += 2 + reported

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + BUCKET_RETENTION
        idle = [
            name
            for name, state in self._buckets.items()
            if state.used_at <= now - BUCKET_RETENTION
            and not state.unsent
            and state.in_flight is None
        ]
        for name in idle:
            del self._buckets[name]

    async def close(self) -> None:
        """Send the hits not yet sent, then stop the background sender."""
        await cancel_and_wait(self._flusher)
        batch = {name: state for name, state in self._buckets.items() if state.unsent}
        if batch:
            await self._flush(batch)


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
        self.shared = (
            SharedRateLimiter(redis, key_prefix, clock=clock) if redis is not None else None
        )
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
            at_once = self.shared.hit_at_once(bucket, rule)
            if at_once is not None:
                return at_once
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
        """Send the hits not yet in Redis, then close Redis if this limiter opened it."""
        if self.shared is not None:
            await self.shared.close()
        if self._owns_redis and self.redis is not None:
            await self.redis.close()
