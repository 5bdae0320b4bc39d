"""The message-XP cooldown on the hot path: decided without waiting on the database.

The database has the last word (see :mod:`botfleet.gamification.store`): a message award is
saved only if the member's cooldown in that guild had ended when the message was sent. This
module keeps most messages from ever reaching the buffer, cheaply:

1. this process remembers, per member and guild, when their cooldown ends (message times, so
   every process judges the same message alike), and drops messages before that;
2. with Redis, one atomic script compares the message's time with the end of the member's
   cooldown there and moves it: the first process gets the message, the five other bots that
   saw it drop it without buffering anything. The claims of every message that reaches this
   step while a round trip is being prepared travel together in one pipeline, so a busy
   process pays one round trip for many messages. Times are the messages' own, as in the
   database, so a late-processed message is judged by when it was sent; the database then
   accepts the award without checking again, whatever order the bots save in. When Redis is
   away (:class:`~botfleet.cache.ResilientRedis` reports the outage once), each process
   buffers its own award and the database keeps one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from botfleet.cache import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

CLAIM_SCRIPT = """
local ready = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < ready then
    return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
"""ARGV: the message's time, the cooldown's end (both epoch milliseconds, exact in Lua's
doubles) and how long to keep the key."""

KEY_GRACE_MS = 60_000
"""The key outlives the cooldown by this much, for messages processed late."""

NEVER = float("-inf")
"""The end of the cooldown of a member who never earned message XP here."""

SWEEP_INTERVAL_SECONDS = 60.0
"""How often expired cooldowns are dropped from memory (each sweep walks the whole map)."""


class Claim(Enum):
    """The hot path's verdict on one message."""

    DENIED = "denied"
    SHARED = "shared"
    """Redis settled it for every process: the database need not check again."""
    LOCAL = "local"
    """Allowed by this process alone: the database checks the shared cooldown when saving."""


@dataclass(frozen=True, slots=True)
class _QueuedClaim:
    """A claim waiting for the next pipelined round trip to Redis."""

    key: str
    arguments: tuple[int, int, int]
    decided: asyncio.Future[Claim]


class MessageCooldowns:
    """Per-member, per-guild cooldowns of message XP, shared through Redis when there is one."""

    def __init__(self, redis: ResilientRedis | None, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._queued: list[_QueuedClaim] = []
        self._senders: set[asyncio.Task[None]] = set()
        self._ready_at: dict[tuple[int, int], float] = {}
        self._latest_message = NEVER
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS

    def __len__(self) -> int:
        """Cooldowns held in memory."""
        return len(self._ready_at)

    def key(self, guild_id: int, user_id: int) -> str:
        """The Redis key of one member's cooldown in one guild."""
        return f"{self.key_prefix}xp:cooldown:{guild_id}:{user_id}"

    def cooling(self, guild_id: int, user_id: int, sent: float) -> bool:
        """Whether this process knows the member's cooldown was on at ``sent`` (epoch seconds).

        The common case of the hot path, so one dictionary lookup: no Redis, no datetime.
        """
        return sent < self._ready_at.get((guild_id, user_id), NEVER)

    async def claim(self, guild_id: int, user_id: int, sent: float, cooldown_seconds: int) -> Claim:
        """Whether this process should award the message sent at ``sent`` (epoch seconds), and
        who decided.

        ``SHARED``: Redis gave this process the message, no other can have it. ``LOCAL``: no
        Redis to ask, award it and let the database decide. ``DENIED``: the cooldown is on,
        here or in another process.
        """
        member = (guild_id, user_id)
        self._latest_message = max(self._latest_message, sent)
        self._sweep()
        if sent < self._ready_at.get(member, NEVER):
            return Claim.DENIED
        self._ready_at[member] = sent + cooldown_seconds
        if self.redis is None:
            return Claim.LOCAL
        sent_ms = round(sent * 1000)
        cooldown_ms = cooldown_seconds * 1000
        decided: asyncio.Future[Claim] = asyncio.get_running_loop().create_future()
        self._queued.append(
            _QueuedClaim(
                self.key(guild_id, user_id),
                (sent_ms, sent_ms + cooldown_ms, cooldown_ms + KEY_GRACE_MS),
                decided,
            )
        )
        if len(self._queued) == 1:
            sender = asyncio.create_task(self._send_queued(self.redis))
            self._senders.add(sender)
            sender.add_done_callback(self._sender_done)
        return await decided

    def _sender_done(self, sender: asyncio.Task[None]) -> None:
        """A sender cancelled before it ran (shutdown) leaves its claims queued: cancel them,
        so no handler waits forever and the next claim starts a new round trip."""
        self._senders.discard(sender)
        if sender.cancelled():
            for queued in self._queued:
                queued.decided.cancel()
            self._queued = []

    async def _send_queued(self, redis: ResilientRedis) -> None:
        """Send every claim queued until this task ran in one pipelined round trip."""
        batch, self._queued = self._queued, []

        async def claim_in_redis(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                for queued in batch:
                    pipe.eval(CLAIM_SCRIPT, 1, queued.key, *queued.arguments)
                return await pipe.execute()

        try:
            answers: list[Any] = await redis.call(claim_in_redis)
        except asyncio.CancelledError:
            for queued in batch:
                queued.decided.cancel()  # shutting down: no handler waits forever
            raise
        except RedisUnavailableError:
            answers = [None] * len(batch)  # no Redis: each process awards, the database decides
        except Exception as exc:
            for queued in batch:
                if not queued.decided.done():
                    queued.decided.set_exception(exc)
            return
        for queued, answer in zip(batch, answers, strict=True):
            if queued.decided.done():
                continue  # its message's handler was cancelled
            if answer is None:
                queued.decided.set_result(Claim.LOCAL)
            else:
                queued.decided.set_result(Claim.SHARED if answer else Claim.DENIED)

    def forget(self, user_id: int) -> None:
        """Drop a member's cooldowns from memory (a data-deletion request)."""
        for member in [member for member in self._ready_at if member[1] == user_id]:
            del self._ready_at[member]

    def _sweep(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        latest = self._latest_message
        expired = [member for member, ready in self._ready_at.items() if ready <= latest]
        for member in expired:
            del self._ready_at[member]
