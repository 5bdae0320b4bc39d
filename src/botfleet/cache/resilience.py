"""One Redis connection that a whole process leans on, and what happens when Redis goes away.

Redis is an accelerator, never a dependency: the cache answers from memory and the database,
the rate limiter counts in memory. :class:`ResilientRedis` holds that rule in one place for
every user of Redis. The first failure logs one warning and opens an outage; during the outage
no command is sent (callers get :class:`RedisUnavailableError` at once and take their fallback)
until ``retry_interval`` seconds have passed; then one call probes Redis, and on success one
info line says Redis is back. Short socket timeouts and no client-side retry of a timeout keep
a dead or frozen Redis from holding any command for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, TypeAlias, TypeVar
from urllib.parse import urlsplit, urlunsplit

from botfleet.cache.memory import Clock
from botfleet.config.schema import Settings
from botfleet.utils.tasks import wait_at_most

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

T = TypeVar("T")

log = logging.getLogger(__name__)

REDIS_SOCKET_TIMEOUT = 1.0
"""Seconds a connect or a reply may take before Redis counts as down for this call.

Redis answers in well under a millisecond; a command that takes a second is stuck, and a member
waiting on a slash command should lose at most that second before the fallback answers.
"""


@cache
def outage_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "Redis cannot be reached", as opposed to a bad command (a bug).

    redis-py (about 6 MB resident) is imported here and in :meth:`ResilientRedis.from_url`,
    when a process has Redis to use, never by one without it.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: PLC0415
    from redis.exceptions import TimeoutError as RedisTimeoutError  # noqa: PLC0415

    return (RedisConnectionError, RedisTimeoutError, OSError)


RecoveryHook: TypeAlias = "Callable[[Redis], Awaitable[None]]"


async def _ping(client: Redis) -> object:
    return await client.ping()


class RedisUnavailableError(Exception):
    """Redis is down or resting after a failure: the caller should use its fallback."""


def redacted_url(url: str) -> str:
    """``url`` without its credentials, fit for a log line."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class ResilientRedis:
    """A ``redis.asyncio`` client that fails fast and tracks outages for all its users."""

    def __init__(
        self,
        client: Redis,
        *,
        retry_interval: float,
        description: str,
        socket_timeout: float = REDIS_SOCKET_TIMEOUT,
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.outage_errors = outage_errors()
        self.retry_interval = retry_interval
        self.socket_timeout = socket_timeout
        self.description = description
        self._clock = clock
        self._retry_at: float | None = None
        self._probing = False
        self._reachable = asyncio.Event()
        self._reachable.set()
        self._recovery_hooks: list[RecoveryHook] = []
        self._scripts: dict[str, AsyncScript] = {}

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        retry_interval: float,
        socket_timeout: float = REDIS_SOCKET_TIMEOUT,
        clock: Clock = time.monotonic,
    ) -> ResilientRedis:
        """Connect lazily to ``url``; the first command opens the connection.

        A command that meets a closed connection (Redis restarted, or dropped an idle client)
        is retried once on a fresh one; a timeout is never retried.
        """
        from redis.asyncio import Redis  # noqa: PLC0415  (see outage_errors)
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: PLC0415

        client = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(
            client,
            retry_interval=retry_interval,
            description=redacted_url(url),
            socket_timeout=socket_timeout,
            clock=clock,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ResilientRedis | None:
        """The Redis of ``settings.cache``, or ``None`` when no URL is configured."""
        if settings.cache.redis_url is None:
            return None
        return cls.from_url(
            settings.cache.redis_url.get_secret_value(),
            retry_interval=settings.cache.redis_retry_interval,
        )

    @property
    def in_outage(self) -> bool:
        """Whether the last attempt failed and no probe has succeeded since."""
        return self._retry_at is not None

    def seconds_until_retry(self) -> float:
        """How long callers will still be turned away (0 when Redis may be tried now)."""
        if self._retry_at is None:
            return 0.0
        return max(0.0, self._retry_at - self._clock())

    async def wait_until_retry(self) -> None:
        """Sleep until Redis may be tried again, or less if another call found it back."""
        if self._retry_at is None:
            return
        delay = self.seconds_until_retry()
        if delay == 0 and not self._probing:
            return
        await wait_at_most(self._reachable, delay or self.retry_interval)

    async def warm_up(self) -> None:
        """Open a connection now, so that the next command does not wait for one; a failure
        opens an outage as any command's would."""
        with contextlib.suppress(RedisUnavailableError):
            await self.call(_ping)

    def add_recovery_hook(self, hook: RecoveryHook) -> None:
        """Run ``hook`` at the end of every outage, before any other command reaches Redis.

        The cache uses it to replay the invalidations it could not send while Redis was away.
        """
        self._recovery_hooks.append(hook)

    def script(self, source: str) -> AsyncScript:
        """The Lua script ``source`` on this client: called, it sends EVALSHA with the
        script's hash (and loads the script once when Redis does not know it, as after a
        restart) rather than the whole source with every EVAL."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self.client.register_script(source)
        return script

    async def call(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """Run ``operation`` on the client; raise :class:`RedisUnavailableError` to fall back."""
        if self._retry_at is None:
            try:
                return await operation(self.client)
            except self.outage_errors as exc:
                self.report_failure(exc)
                raise RedisUnavailableError(self.description) from exc
        if self._probing or self._clock() < self._retry_at:
            raise RedisUnavailableError(self.description)
        return await self._probe(operation)

    async def _probe(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """Try Redis once after an outage; other callers keep their fallback meanwhile."""
        self._probing = True
        try:
            for hook in self._recovery_hooks:
                await hook(self.client)
            result = await operation(self.client)
        except self.outage_errors as exc:
            self.report_failure(exc)
            raise RedisUnavailableError(self.description) from exc
        finally:
            self._probing = False
        self._retry_at = None
        self._reachable.set()
        log.info("Redis at %s is reachable again; using it again", self.description)
        return result

    def report_failure(self, error: BaseException) -> None:
        """Open an outage (one warning for all of it) or extend it after a failed probe.

        Long-lived connections, such as a pub/sub listener, call this for errors that do not
        pass through :meth:`call`.
        """
        if self._retry_at is None:
            log.warning(
                "Redis at %s is unreachable (%s: %s); serving from memory and the database, "
                "retrying every %gs",
                self.description,
                type(error).__name__,
                error,
                self.retry_interval,
            )
        else:
            log.debug("Redis at %s is still unreachable: %s", self.description, error)
        self._retry_at = self._clock() + self.retry_interval
        self._reachable.clear()

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
