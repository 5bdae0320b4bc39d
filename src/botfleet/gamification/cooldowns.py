"""The message-XP cooldown on the hot path: decided without waiting on the database.

The database has the last word (see :mod:`botfleet.gamification.store`): a message award is
saved only if the member's cooldown in that guild had ended when the message was sent. This
module keeps most messages from ever reaching the buffer, cheaply:

1. this process remembers, per member and guild, when their cooldown ends (message times, so
   every process judges the same message alike), and drops messages before that;
2. with Redis, one atomic script compares the message's time with the end of the member's
   cooldown there and moves it: the first process gets the message, the five other bots that
   saw it drop it without buffering anything. Claims travel in micro-batches: one script call
   carries every claim made in the same loop iteration as the first (or within
   :data:`BATCH_WINDOW_SECONDS`), or while the previous call was on its way (one call in
   flight at a time), so a busy process pays one round trip for many messages; the script
   judges them one after another, atomically, so two processes' overlapping batches never
   both get a message. A message handler need not wait
   for the answer at all (:meth:`MessageCooldowns.claim_later`): the verdict is handed to a
   callback when the batch's answer comes. Times are the messages' own, as in the database,
   so a late-processed message is judged by when it was sent; the database then accepts the
   award without checking again, whatever order the bots save in. When Redis is away
   (:class:`~botfleet.cache.ResilientRedis` reports the outage once), each process buffers
   its own award and the database keeps one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from botfleet.cache import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

CLAIM_SCRIPT = """
local claimed = {}
for index, key in ipairs(KEYS) do
    local base = (index - 1) * 3
    local ready = tonumber(redis.call('GET', key) or '0')
    if tonumber(ARGV[base + 1]) < ready then
        claimed[index] = 0
    else
        redis.call('SET', key, ARGV[base + 2], 'PX', ARGV[base + 3])
        claimed[index] = 1
    end
end
return claimed
"""
"""One claim per key, in order; ARGV holds three numbers per key: the message's time, the
cooldown's end (both epoch milliseconds, exact in Lua's doubles) and how long to keep the key.
Answers 1 (claimed) or 0 (cooling) per key."""

KEY_GRACE_MS = 60_000
"""The key outlives the cooldown by this much, for messages processed late."""

NEVER = float("-inf")
"""The end of the cooldown of a member who never earned message XP here."""

SWEEP_INTERVAL_SECONDS = 60.0
"""How often expired cooldowns are dropped from memory (each sweep walks the whole map)."""

BATCH_WINDOW_SECONDS = 0.0
"""How long the first claim of a batch waits for others beyond the claims of the same loop
iteration. None by default: measured with ``benchmarks/xp_hot_path.py``, a 2 ms window cost a
lone message 295 µs of CPU against 135 µs without (the timer's wake-ups), and every batched
case was slower too; the claims made while a call is on its way already share the next one."""

MAX_BATCH = 500
"""The most claims in one script call, so that one call never holds Redis for long."""


class Claim(Enum):
    """The hot path's verdict on one message."""

    DENIED = "denied"
    SHARED = "shared"
    """Redis settled it for every process: the database need not check again."""
    LOCAL = "local"
    """Allowed by this process alone: the database checks the shared cooldown when saving."""


@dataclass(frozen=True, slots=True)
class _QueuedClaim:
    """A claim waiting for the next batch to Redis, and who learns its verdict."""

    key: str
    arguments: tuple[int, int, int]
    decide: Callable[[Claim], object]
    decided: asyncio.Future[Claim] | None
    """Set for a caller awaiting the verdict: cancelled if the batch is cancelled."""


class MessageCooldowns:
    """Per-member, per-guild cooldowns of message XP, shared through Redis when there is one."""

    def __init__(
        self,
        redis: ResilientRedis | None,
        key_prefix: str,
        *,
        batch_window: float = BATCH_WINDOW_SECONDS,
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.batch_window = batch_window
        self._queued: list[_QueuedClaim] = []
        self._sender: asyncio.Task[None] | None = None
        self._claims_queued = 0
        self._claims_answered = 0
        self._batch_answered: asyncio.Future[None] | None = None
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
        who decided; waits for the batch's answer when Redis is asked.

        ``SHARED``: Redis gave this process the message, no other can have it. ``LOCAL``: no
        Redis to ask, award it and let the database decide. ``DENIED``: the cooldown is on,
        here or in another process.
        """
        decided: asyncio.Future[Claim] = asyncio.get_running_loop().create_future()
        self._claim(
            guild_id, user_id, sent, cooldown_seconds, decide=decided.set_result, decided=decided
        )
        return await decided

    def claim_later(
        self,
        guild_id: int,
        user_id: int,
        sent: float,
        cooldown_seconds: int,
        decide: Callable[[Claim], object],
    ) -> None:
        """Like :meth:`claim`, without waiting: ``decide`` gets the verdict, at once when this
        process knows it, else when the batch's answer comes (call :meth:`settled` before
        relying on every verdict being handed over)."""
        self._claim(guild_id, user_id, sent, cooldown_seconds, decide=decide, decided=None)

    def _claim(
        self,
        guild_id: int,
        user_id: int,
        sent: float,
        cooldown_seconds: int,
        *,
        decide: Callable[[Claim], object],
        decided: asyncio.Future[Claim] | None,
    ) -> None:
        member = (guild_id, user_id)
        self._latest_message = max(self._latest_message, sent)
        self._sweep()
        if sent < self._ready_at.get(member, NEVER):
            decide(Claim.DENIED)
            return
        self._ready_at[member] = sent + cooldown_seconds
        if self.redis is None:
            decide(Claim.LOCAL)
            return
        sent_ms = round(sent * 1000)
        cooldown_ms = cooldown_seconds * 1000
        self._queued.append(
            _QueuedClaim(
                self.key(guild_id, user_id),
                (sent_ms, sent_ms + cooldown_ms, cooldown_ms + KEY_GRACE_MS),
                decide,
                decided,
            )
        )
        self._claims_queued += 1
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_batches(self.redis))
            self._sender.add_done_callback(self._sender_done)

    async def settled(self) -> None:
        """Wait until every claim made so far has its verdict handed over (before a flush, a
        stop or a data deletion, so no award arrives after it); claims made meanwhile are not
        waited for, so a busy process's flush is not held up by the chat that goes on."""
        made = self._claims_queued
        while self._claims_answered < made and (sender := self._sender) is not None:
            if self._batch_answered is None:
                self._batch_answered = asyncio.get_running_loop().create_future()
            await asyncio.wait([self._batch_answered, sender], return_when=asyncio.FIRST_COMPLETED)

    async def _send_batches(self, redis: ResilientRedis) -> None:
        """Send the queued claims, one script call at a time, until none is left."""
        try:
            if self.batch_window > 0:
                await asyncio.sleep(self.batch_window)
            while self._queued:
                batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
                await self._send(redis, batch)
                self._claims_answered += len(batch)
                self._wake_settled()
        finally:
            self._stop_sending()

    def _sender_done(self, sender: asyncio.Task[None]) -> None:
        """A sender cancelled before it ran (shutdown) never reached its ``finally``."""
        if self._sender is sender:
            self._stop_sending()

    def _stop_sending(self) -> None:
        """The sender ends: only a cancelled one (shutdown) leaves claims queued, which are
        cancelled, so no caller waits forever and the next claim starts a new sender."""
        self._sender = None
        for queued in self._queued:
            if queued.decided is not None:
                queued.decided.cancel()
        self._queued = []
        self._claims_answered = self._claims_queued
        self._wake_settled()

    def _wake_settled(self) -> None:
        """Let :meth:`settled` callers check whether their claims are answered now."""
        if self._batch_answered is not None:
            self._batch_answered.set_result(None)
            self._batch_answered = None

    async def _send(self, redis: ResilientRedis, batch: list[_QueuedClaim]) -> None:
        """One script call for the whole batch; each claim's verdict from its answer."""
        keys = [queued.key for queued in batch]
        arguments = [number for queued in batch for number in queued.arguments]

        async def claim_in_redis(client: Redis) -> list[Any]:
            answers: list[Any] = await client.eval(CLAIM_SCRIPT, len(keys), *keys, *arguments)
            return answers

        try:
            answers: list[Any] = await redis.call(claim_in_redis)
        except asyncio.CancelledError:
            for queued in batch:
                if queued.decided is not None:
                    queued.decided.cancel()  # shutting down: no handler waits forever
            raise
        except RedisUnavailableError:
            answers = [None] * len(batch)  # no Redis: each process awards, the database decides
        except Exception:
            log.exception(
                "Redis could not judge %d message cooldowns; the database decides them", len(batch)
            )
            answers = [None] * len(batch)
        for queued, answer in zip(batch, answers, strict=True):
            if queued.decided is not None and queued.decided.done():
                continue  # its message's handler was cancelled
            if answer is None:
                queued.decide(Claim.LOCAL)
            else:
                queued.decide(Claim.SHARED if answer else Claim.DENIED)

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
