"""Discord's rate limits: ``X-RateLimit-*`` headers on every answer, 429s when a bucket runs dry.

Every authenticated API answer carries the headers discord.py paces itself by (limit, remaining,
reset, reset-after, bucket hash), counted per route bucket and per major parameter (channel,
guild, webhook) as Discord counts them, plus the per-bot global limit of 50 requests a second
that interaction endpoints are exempt from. A client that ignores the headers gets Discord's
429; discord.py never does, it waits. Tests switch 429s on (``DiscordSandbox.force_rate_limit``)
to watch a bot wait out ``retry_after`` and retry, per route or for every route, per bucket or
global, and 5xx outages (``DiscordSandbox.force_outage``) to watch it retry a failed request.

By default every route has a roomy bucket (50 a second), because discord.py sleeps out a bucket
the moment a request empties it, and Discord's tight limits would make every test that sends a
few messages wait seconds for nothing. ``DISCORD_ROUTE_LIMITS`` holds Discord's real limits
for the routes bots call most; a sandbox started with ``route_limits=DISCORD_ROUTE_LIMITS``
paces bots exactly as Discord would.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

GLOBAL_LIMIT_PER_SECOND = 50
"""Requests a bot may make per second across all routes (interaction endpoints excepted)."""

RATE_LIMITED_MESSAGE = "You are being rate limited."

INTERACTION_ROUTES = frozenset(
    {
        "POST /interactions/{interaction_id}/{token}/callback",
        "POST /webhooks/{application_id}/{token}",
        "GET /webhooks/{application_id}/{token}/messages/{message_ref}",
        "PATCH /webhooks/{application_id}/{token}/messages/{message_ref}",
        "DELETE /webhooks/{application_id}/{token}/messages/{message_ref}",
    }
)
"""Routes Discord does not bind to a bot's global limit."""

_PRUNE_THRESHOLD = 4096
"""Windows kept before expired ones are dropped (each interaction token makes a new bucket)."""

MAJOR_PARAMETERS = ("channel_id", "guild_id", "application_id", "interaction_id", "token")
"""Path parameters that give a route a bucket of its own per value, as on Discord."""


@dataclass(frozen=True)
class RouteLimit:
    """How many requests a route bucket allows per window."""

    limit: int
    window: float
    """Seconds from a bucket's first request until it refills."""


DEFAULT_ROUTE_LIMIT = RouteLimit(50, 1.0)
"""The bucket of every route the sandbox is not told a limit for."""

DISCORD_ROUTE_LIMITS: Mapping[str, RouteLimit] = {
    "POST /channels/{channel_id}/messages": RouteLimit(5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": RouteLimit(5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": RouteLimit(5, 1.0),
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": RouteLimit(1, 0.25),
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": RouteLimit(
        1, 0.25
    ),
    "POST /webhooks/{application_id}/{token}": RouteLimit(5, 2.0),
}
"""Discord's well-known per-route limits, as its headers report them.

With them a bot that sends a sixth message to a channel within five seconds waits, as it would
on Discord.
"""


class _ForcedAnswer:
    """What the test switches for forced answers share: which requests they apply to."""

    route: str | None
    times: int | None
    application: str | None
    hits: int
    spares_interactions: ClassVar[bool] = True

    @property
    def active(self) -> bool:
        """Whether the switch still applies to requests."""
        return self.times is None or self.hits < self.times

    def matches(self, route: str, application: str | None) -> bool:
        """Whether a request to ``route`` by ``application`` gets this switch's answer."""
        if not self.active:
            return False
        if self.application is not None and application != self.application:
            return False
        if self.route is None:
            return not (self.spares_interactions and route in INTERACTION_ROUTES)
        return self.route == route


@dataclass
class ForcedRateLimit(_ForcedAnswer):
    """A switch that makes matching requests answer 429, for ``times`` requests or until cleared.

    ``route`` is a route key such as ``"POST /channels/{channel_id}/messages"``; ``None``
    matches every route except the interaction endpoints. ``application`` (a bot's name)
    narrows the switch to one bot.
    """

    route: str | None = None
    retry_after: float = 1.0
    times: int | None = 1
    is_global: bool = False
    application: str | None = None
    hits: int = 0
    """How many requests this switch has refused so far."""


@dataclass
class ForcedOutage(_ForcedAnswer):
    """A switch that makes matching requests fail with a 5xx, as Discord does in an outage.

    ``status`` is the answer (500, 502, 503, 504); ``route``, ``times`` and ``application`` work
    as in ``ForcedRateLimit``, except that ``route=None`` takes in the interaction endpoints too:
    an outage spares no route.
    """

    route: str | None = None
    status: int = 502
    times: int | None = 1
    application: str | None = None
    after_applying: bool = False
    """Carry the request out before failing it, as when Discord's edge loses the answer."""
    hits: int = 0
    """How many requests this switch has failed so far."""
    spares_interactions: ClassVar[bool] = False


@dataclass(frozen=True)
class RecordedRateLimit:
    """A 429 the sandbox answered, kept so a test can check the bot was limited and retried."""

    application: str | None
    method: str
    path: str
    route: str
    retry_after: float
    is_global: bool
    forced: bool

    def describe(self) -> str:
        """One line for reports and failures."""
        who = f"{self.application}: " if self.application else ""
        kind = "global " if self.is_global else ""
        why = "switched on by the test" if self.forced else "bucket exhausted"
        return (
            f"{who}{self.method} {self.path} -> 429 {kind}rate limit, "
            f"retry after {self.retry_after:.2f}s ({why})"
        )


@dataclass(frozen=True)
class Admission:
    """The rate-limit verdict on one request: the headers to send, and a 429 if refused."""

    headers: dict[str, str]
    refusal: RecordedRateLimit | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body of Discord's 429."""
        if self.refusal is None:
            raise ValueError("the request was admitted")
        return {
            "message": RATE_LIMITED_MESSAGE,
            "retry_after": self.refusal.retry_after,
            "global": self.refusal.is_global,
        }


@dataclass
class _Window:
    count: int
    resets_at: float


class RateLimiter:
    """Counts requests per bucket and decides each request's headers and 429s."""

    def __init__(
        self,
        route_limits: Mapping[str, RouteLimit] | None = None,
        *,
        forced: Iterable[ForcedRateLimit] = (),
        global_limit: int = GLOBAL_LIMIT_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.route_limits: dict[str, RouteLimit] = dict(route_limits or {})
        """Limits by route key; other routes get ``DEFAULT_ROUTE_LIMIT``."""
        self.global_limit = global_limit
        self.forced: list[ForcedRateLimit] = list(forced)
        self.hits: list[RecordedRateLimit] = []
        self._clock = clock
        self._wall_clock = wall_clock
        self._windows: dict[tuple[Any, ...], _Window] = {}

    def limit_of(self, route: str) -> RouteLimit:
        """The limit of a route's bucket."""
        return self.route_limits.get(route, DEFAULT_ROUTE_LIMIT)

    def admit(
        self,
        *,
        method: str,
        path: str,
        route: str,
        major: tuple[str, ...],
        application_id: int | None,
        application: str | None,
    ) -> Admission:
        """Count one request and answer with its headers, or with a 429 if it is refused."""
        now = self._clock()
        forced = next((f for f in self.forced if f.matches(route, application)), None)
        if forced is not None:
            forced.hits += 1
            return self._refuse(
                method,
                path,
                route,
                application,
                forced.retry_after,
                is_global=forced.is_global,
                forced=True,
            )
        if application_id is not None and route not in INTERACTION_ROUTES:
            global_window = self._tick(("global", application_id), 1.0, now)
            if global_window.count > self.global_limit:
                return self._refuse(
                    method,
                    path,
                    route,
                    application,
                    global_window.resets_at - now,
                    is_global=True,
                    forced=False,
                )
        limit = self.limit_of(route)
        window = self._tick((application_id, route, major), limit.window, now)
        if window.count > limit.limit:
            return self._refuse(
                method,
                path,
                route,
                application,
                window.resets_at - now,
                is_global=False,
                forced=False,
            )
        return Admission(
            self._bucket_headers(route, limit, max(limit.limit - window.count, 0), window, now)
        )

    def _tick(self, key: tuple[Any, ...], length: float, now: float) -> _Window:
        if len(self._windows) > _PRUNE_THRESHOLD:
            self._windows = {k: w for k, w in self._windows.items() if w.resets_at > now}
        window = self._windows.get(key)
        if window is None or now >= window.resets_at:
            window = _Window(count=0, resets_at=now + length)
            self._windows[key] = window
        window.count += 1
        return window

    def _bucket_headers(
        self, route: str, limit: RouteLimit, remaining: int, window: _Window, now: float
    ) -> dict[str, str]:
        reset_after = max(window.resets_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{self._wall_clock() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route),
        }

    def _refuse(
        self,
        method: str,
        path: str,
        route: str,
        application: str | None,
        retry_after: float,
        *,
        is_global: bool,
        forced: bool,
    ) -> Admission:
        retry_after = round(max(retry_after, 0.001), 3)
        headers = {"Retry-After": str(math.ceil(retry_after))}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
            headers["X-RateLimit-Scope"] = "global"
        else:
            limit = self.limit_of(route)
            window = _Window(count=limit.limit, resets_at=self._clock() + retry_after)
            headers.update(self._bucket_headers(route, limit, 0, window, self._clock()))
            headers["X-RateLimit-Scope"] = "user"
        refusal = RecordedRateLimit(
            application=application,
            method=method,
            path=path,
            route=route,
            retry_after=retry_after,
            is_global=is_global,
            forced=forced,
        )
        self.hits.append(refusal)
        return Admission(headers, refusal)


def bucket_hash(route: str) -> str:
    """The opaque bucket id Discord names a route's bucket by (stable for a route)."""
    return hashlib.blake2b(route.encode(), digest_size=16).hexdigest()
