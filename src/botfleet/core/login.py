"""What a bot's login prepares beside its extensions: Redis's connections and the identify
concurrency.

Both go on while ``setup_hook`` loads the extensions, so they add little to the time from the
start to ready: a Redis connection took 10-30 ms of the login, and the identify concurrency comes
from discord.py's own ``GET /gateway/bot`` instead of a second request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from botfleet.cache import CacheHierarchy
from botfleet.core.sharding import IdentifyGate

if TYPE_CHECKING:
    from discord.http import HTTPClient
    from discord.types.gateway import SessionStartLimit

log = logging.getLogger(__name__)


class RedisSetUp:
    """The cache's subscription and a first Redis connection, made while the login goes on.

    Begun first in ``setup_hook``, it goes on while the extensions load and is awaited at the
    end of ``setup_hook``: the gateway connects only then, so no event arrives before, and an
    error other than an outage (a refused ACL) ends the login as it always did, instead of
    failing every identify. What the extensions read from the cache meanwhile is forgotten when
    the subscription is confirmed.
    """

    def __init__(self, cache: CacheHierarchy) -> None:
        self.cache = cache
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start subscribing and connecting in the background."""
        self._task = asyncio.create_task(self._connect())

    async def finish(self) -> None:
        """Wait for the set-up begun; its error (other than an outage) is raised here."""
        if self._task is not None:
            await self._task

    async def abandon(self) -> None:
        """The login failed before :meth:`finish`: stop the set-up, and log its own error.

        Left to itself, a set-up that had failed too would be reported by asyncio as "Task
        exception was never retrieved" when freed (or silenced by the cancel of ``close``),
        and an operator would not learn that Redis refused the bot as well.
        """
        task = self._task
        if task is None:
            return
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("Redis's set-up failed as well: %s: %s", type(error).__name__, error)

    def cancel(self) -> None:
        """Stop a set-up still under way (the bot closes)."""
        if self._task is not None:
            self._task.cancel()

    async def _connect(self) -> None:
        """Subscribe the cache to other processes' invalidations and open the connection the
        identify gate takes its turn on; each gives up on its own when Redis is unreachable."""
        redis = self.cache.redis
        if redis is not None:
            await asyncio.gather(self.cache.start(), redis.warm_up())


def hear_identify_concurrency(http: HTTPClient, gate: IdentifyGate) -> None:
    """Learn how many shards may identify at once (``max_concurrency``) from every
    ``GET /gateway/bot``, discord.py's own included: it asks when it chooses the shard count,
    before identifying, and the login need not ask Discord a second time."""
    ask = http.get_bot_gateway

    async def get_bot_gateway() -> tuple[int, str, SessionStartLimit]:
        shards, url, limits = await ask()
        gate.max_concurrency = max(1, limits["max_concurrency"])
        return shards, url, limits

    http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]


async def learn_identify_concurrency(
    http: HTTPClient, gate: IdentifyGate, shard_count: int | None
) -> None:
    """Ask Discord for ``max_concurrency`` when discord.py will not: with a configured shard
    count it connects without ``GET /gateway/bot`` (``gate`` hears the answer)."""
    if shard_count is None:
        return
    try:
        await http.get_bot_gateway()
    except discord.GatewayNotFound:
        log.warning("Discord did not say its identify concurrency; identifying one at a time")
