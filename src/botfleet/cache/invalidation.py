"""Event-based invalidation: one process tells the others that a cached value changed.

Each process keeps values in its own memory tier, which Redis cannot expire for it. Every write
therefore publishes an :class:`Invalidation` on a pub/sub channel under the key prefix, and every
process runs an :class:`InvalidationListener` that drops the named keys from its memory tier.
Pub/sub delivers at most once: a process that was disconnected may have missed messages, so the
listener reports each (re)subscription and the cache empties its memory tier then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis, outage_errors
from botfleet.utils.tasks import cancel_and_wait

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)


async def _close_quietly(pubsub: PubSub) -> None:
    """Close a pub/sub connection that may already be broken."""
    with contextlib.suppress(*outage_errors()):
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py


@dataclass(frozen=True)
class Invalidation:
    """ "The value of ``target`` changed" (or of every key starting with it, for a prefix)."""

    target: str
    is_prefix: bool
    origin: str

    def encode(self) -> str:
        """The message text published on the channel."""
        return json.dumps({"target": self.target, "prefix": self.is_prefix, "origin": self.origin})

    @classmethod
    def decode(cls, text: str) -> Invalidation:
        """Parse a message; raise ``ValueError`` when it is not one of ours."""
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"not an invalidation: {text!r}")
        target, is_prefix, origin = data.get("target"), data.get("prefix"), data.get("origin")
        if not (
            isinstance(target, str) and isinstance(is_prefix, bool) and isinstance(origin, str)
        ):
            raise ValueError(f"not an invalidation: {text!r}")
        return cls(target, is_prefix, origin)


class InvalidationListener:
    """A background task that applies other processes' invalidations, reconnecting as needed."""

    def __init__(
        self,
        redis: ResilientRedis,
        channel: str,
        *,
        origin: str,
        on_invalidation: Callable[[Invalidation], None],
        on_subscribed: Callable[[], None],
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._origin = origin
        self._on_invalidation = on_invalidation
        self._on_subscribed = on_subscribed
        self._task: asyncio.Task[None] | None = None
        self._first_attempt_done = asyncio.Event()
        self.subscribed = False

    def start(self) -> None:
        """Start listening in the background (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"cache listener {self._channel}")

    async def wait_first_attempt(self) -> None:
        """Return once the first subscription attempt succeeded or failed."""
        await self._first_attempt_done.wait()

    async def stop(self) -> None:
        """Stop listening and close the pub/sub connection."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except RedisUnavailableError:
                pass
            except self._redis.outage_errors as exc:
                self._redis.report_failure(exc)
            except Exception:
                log.exception("the cache invalidation listener failed; it will subscribe again")
                await asyncio.sleep(self._redis.retry_interval)
            self._first_attempt_done.set()
            await self._redis.wait_until_retry()

    async def _listen(self) -> None:
        pubsub = await self._redis.call(self._subscribe)
        try:
            self.subscribed = True
            self._on_subscribed()
            self._first_attempt_done.set()
            await self._consume(pubsub)
        finally:
            self.subscribed = False
            await _close_quietly(pubsub)

    async def _subscribe(self, client: Redis) -> PubSub:
        """Subscribe and wait for Redis to confirm, so that later messages cannot be missed."""
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            confirmation = await pubsub.get_message(timeout=self._redis.socket_timeout)
            if confirmation is None or confirmation["type"] != "subscribe":
                from redis.exceptions import TimeoutError as RedisTimeoutError  # noqa: PLC0415

                raise RedisTimeoutError(f"no confirmation of the subscription to {self._channel}")
        except BaseException:
            await _close_quietly(pubsub)
            raise
        return pubsub

    async def _consume(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None or message["type"] != "message":
                continue
            try:
                invalidation = Invalidation.decode(message["data"])
            except ValueError:
                log.warning("ignored a malformed message on %s: %r", self._channel, message["data"])
                continue
            if invalidation.origin != self._origin:
                self._on_invalidation(invalidation)
