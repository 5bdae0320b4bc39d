"""The message-XP cooldown on the hot path: decided without waiting on the database or Redis.

The database has the last word (see :mod:`botfleet.gamification.store`): a message award is
saved only if the member's cooldown in that guild had ended when the message was sent. This
module keeps most messages from ever reaching the buffer, cheaply:

1. this process remembers, per member and guild, when their cooldown ends (message times, so
   every process judges the same message alike), and drops messages before that;
2. with Redis, every bot of the fleet hears every message of a channel they can all read, but
   one process awards a channel's chat XP: the holder of the channel's **lease**, a Redis key
   it sets when free and renews while the channel chats. Judging a message then needs no round
   trip in any process: the holder judges it in memory (1.), the other bots drop it after two
   dictionary lookups. The lease is per channel, not per guild, because a bot hears only the
   channels it can read: a guild-wide holder that cannot read a channel would leave that
   channel's members without XP, the bots that hear them deferring to it. Measured with
   ``benchmarks/xp_hot_path.py``: a claim per member in Redis, even batched, cost an awarding
   message about as much as discord.py's own parse, and a lone one a round trip's CPU (about
   140 µs).

A lease is asked for in micro-batches: one script call carries every channel asked about in the
same loop iteration as the first (or within :data:`BATCH_WINDOW_SECONDS`), or while the
previous call was on its way (one call in flight at a time). A message that waits for its
channel's answer is judged when it comes; a message handler need not wait for it
(:meth:`MessageCooldowns.claim_later`). The holder renews its lease with the first message it
hears in the channel after half of the lease has run, whatever the message earns (a member in
cooldown, a no-XP role: :meth:`MessageCooldowns.cooling` checks), without waiting, so a channel
that chats keeps its holder; a channel quiet for longer than the lease is taken by whichever
bot hears its next message first.

**Nothing doubled.** A holder trusts its lease until :data:`LEASE_SECONDS` after it asked,
which ends before Redis lets it go, so two processes never both award; and the holder's
awards are checked against the member's cooldown in the database when saved (when the lease
moves, or when a member chats in two channels held by two processes, the process judging the
message does not know the cooldown the other one set: the database does).
**What can be missed.** A bot that stops gives its leases back (:meth:`release`), and the
other bots ask again within :data:`RECHECK_SECONDS`; one that crashes holds its channels until
its lease runs out: chat XP heard in that time in its channels is not awarded (one award per
member at most, with the default 60 s cooldown). When Redis is away
(:class:`~botfleet.cache.ResilientRedis` reports the outage once), each process awards what
its memory allows and the database keeps one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from botfleet.cache import RedisUnavailableError, ResilientRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

LEASE_SCRIPT = """
local answers = {}
for index, key in ipairs(KEYS) do
    local holder = redis.call('GET', key)
    if not holder or holder == ARGV[1] then
        redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
        answers[index] = -1
    else
        answers[index] = math.max(redis.call('PTTL', key), 0)
    end
end
return answers
"""
"""Take or renew each channel's lease for the process ARGV[1], for ARGV[2] milliseconds, where
it is free or already this process's. Answers -1 (held by this process now) or, for a channel
another process holds, the milliseconds its lease still runs."""

RELEASE_SCRIPT = """
for _, key in ipairs(KEYS) do
    if redis.call('GET', key) == ARGV[1] then
        redis.call('DEL', key)
    end
end
return 0
"""
"""Give back the leases of the process ARGV[1] (those it still holds)."""

HELD = -1
"""The script's answer for a lease this process holds."""

LEASE_SECONDS = 6.0
"""How long a lease runs after it was asked for or renewed: the longest a crashed process
keeps its channels. The holder renews it after half of that, so a chatting channel pays one
round trip every few seconds, in a batch with every other channel's."""

RECHECK_SECONDS = 2.0
"""How long a process trusts that another holds a channel before asking again: the longest a
channel goes without a holder after its bot stopped and gave its lease back."""

NEVER = float("-inf")
"""The end of the cooldown of a member who never earned message XP here."""

SWEEP_INTERVAL_SECONDS = 60.0
"""How often expired cooldowns and leases are dropped from memory (each sweep walks the maps)."""

BATCH_WINDOW_SECONDS = 0.0
"""How long the first lease request of a batch waits for others beyond those of the same loop
iteration. None by default: measured with ``benchmarks/xp_hot_path.py``, a 2 ms window cost a
lone message 295 µs of CPU against 135 µs without (the timer's wake-ups), and every batched
case was slower too; the requests made while a call is on its way already share the next one."""

MAX_BATCH = 500
"""The most channels in one script call, so that one call never holds Redis for long."""

Channel = tuple[int, int]
"""A lease's scope: (guild id, channel id)."""


class Claim(Enum):
    """The hot path's verdict on one message."""

    DENIED = "denied"
    """The member's cooldown is on, or another process awards this channel's chat XP."""
    AWARDED = "awarded"
    """This process awards it; the database checks the member's cooldown when saving."""


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A message waiting for its channel's lease to be known, and who learns its verdict."""

    user_id: int
    sent: float
    cooldown_seconds: int
    decide: Callable[[Claim], object]
    decided: asyncio.Future[Claim] | None
    """Set for a caller awaiting the verdict: cancelled if the batch is cancelled."""


@dataclass(slots=True)
class _LeaseRequest:
    """One channel's place in the next batch: the messages waiting for its answer (none for a
    renewal)."""

    waiting: list[_Waiting] = field(default_factory=list)


class MessageCooldowns:
    """Per-member, per-guild cooldowns of message XP, and, with Redis, which process of the
    fleet awards each channel's chat XP."""

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
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        """This process's name in the leases it holds (unique per XP system)."""
        self._asking: dict[Channel, _LeaseRequest] = {}
        self._sender: asyncio.Task[None] | None = None
        self._requests_made = 0
        self._requests_answered = 0
        self._batch_answered: asyncio.Future[None] | None = None
        self._ready_at: dict[tuple[int, int], float] = {}
        self._held_until: dict[Channel, float] = {}
        """Channels whose lease this process holds, until when (``time.monotonic``)."""
        self._elsewhere_until: dict[Channel, float] = {}
        """Channels another process awards, and until when this process trusts that."""
        self._released = False
        """Set when the process stops: it takes no lease any more, and judges what it still
        hears in memory (the database decides), so the other bots take its channels."""
        self._latest_message = NEVER
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS

    def __len__(self) -> int:
        """Cooldowns held in memory."""
        return len(self._ready_at)

    def lease_key(self, guild_id: int, channel_id: int) -> str:
        """The Redis key of the lease on one channel's chat XP."""
        return f"{self.key_prefix}xp:lease:{guild_id}:{channel_id}"

    def cooling(self, guild_id: int, channel_id: int, user_id: int, sent: float) -> bool:
        """Whether this process knows it does not award the message sent at ``sent`` (epoch
        seconds): the member's cooldown was on, or another process awards in this channel.
        Called for every message heard, so it also renews a held lease that is due, whatever
        the message earns: a chatting channel keeps its holder.

        The common case of the hot path, so dictionary lookups: no Redis, no datetime.
        """
        channel = (guild_id, channel_id)
        held_until = self._held_until.get(channel)
        if held_until is not None:  # then no other process holds it
            now = time.monotonic()
            if now > held_until - LEASE_SECONDS / 2:
                self._renew_if_due(channel, now)
            return sent < self._ready_at.get((guild_id, user_id), NEVER)
        return (
            sent < self._ready_at.get((guild_id, user_id), NEVER)
            or self._elsewhere_until.get(channel, NEVER) > time.monotonic()
        )

    async def claim(
        self, guild_id: int, channel_id: int, user_id: int, sent: float, cooldown_seconds: int
    ) -> Claim:
        """Whether this process should award the message sent at ``sent`` (epoch seconds);
        waits for Redis when the channel's lease is not known yet.

        ``AWARDED``: this process awards it (and the database checks the cooldown when it is
        saved). ``DENIED``: the cooldown is on, or another process awards in this channel.
        """
        decided: asyncio.Future[Claim] = asyncio.get_running_loop().create_future()
        self._claim(
            (guild_id, channel_id),
            _Waiting(user_id, sent, cooldown_seconds, decided.set_result, decided),
        )
        return await decided

    def claim_later(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        sent: float,
        cooldown_seconds: int,
        *,
        decide: Callable[[Claim], object],
    ) -> None:
        """Like :meth:`claim`, without waiting: ``decide`` gets the verdict, at once when this
        process knows it, else when the batch's answer comes (call :meth:`settled` before
        relying on every verdict being handed over)."""
        self._claim((guild_id, channel_id), _Waiting(user_id, sent, cooldown_seconds, decide, None))

    def verdict(
        self, guild_id: int, channel_id: int, user_id: int, sent: float, cooldown_seconds: int
    ) -> Claim | None:
        """The verdict on a message out of its member's cooldown when this process knows it
        without asking Redis (no Redis, stopping, or the channel's lease known), else None:
        then :meth:`claim` or :meth:`claim_later` asks."""
        self._latest_message = max(self._latest_message, sent)
        now = time.monotonic()
        self._sweep(now)
        if self.redis is None or self._released:
            return self._judge(guild_id, user_id, sent, cooldown_seconds)
        channel = (guild_id, channel_id)
        if now < self._held_until.get(channel, NEVER):
            self._renew_if_due(channel, now)
            return self._judge(guild_id, user_id, sent, cooldown_seconds)
        if self._elsewhere_until.get(channel, NEVER) > now:
            return Claim.DENIED
        return None

    def _renew_if_due(self, channel: Channel, now: float) -> None:
        """Renew a held lease after half of it has run (no message waits for the answer),
        unless the process stops and gives its leases back."""
        held_until = self._held_until.get(channel, NEVER)
        due = held_until - LEASE_SECONDS / 2 < now < held_until
        if due and channel not in self._asking and not self._released:
            self._ask(channel)

    def _claim(self, channel: Channel, waiting: _Waiting) -> None:
        known = self.verdict(*channel, waiting.user_id, waiting.sent, waiting.cooldown_seconds)
        if known is not None:
            waiting.decide(known)
            return
        self._ask(channel).waiting.append(waiting)

    def _judge(self, guild_id: int, user_id: int, sent: float, cooldown_seconds: int) -> Claim:
        """This process's verdict from the member's cooldown in its memory."""
        member = (guild_id, user_id)
        if sent < self._ready_at.get(member, NEVER):
            return Claim.DENIED
        self._ready_at[member] = sent + cooldown_seconds
        return Claim.AWARDED

    def _ask(self, channel: Channel) -> _LeaseRequest:
        """The channel's place in the next batch to Redis (the sender started if need be)."""
        request = self._asking.get(channel)
        if request is None:
            request = self._asking[channel] = _LeaseRequest()
            self._requests_made += 1
        if self._sender is None and self.redis is not None:
            self._sender = asyncio.create_task(self._send_batches(self.redis))
            self._sender.add_done_callback(self._sender_done)
        return request

    async def settled(self) -> None:
        """Wait until every claim made so far has its verdict handed over (before a flush, a
        stop or a data deletion, so no award arrives after it); claims made meanwhile are not
        waited for, so a busy process's flush is not held up by the chat that goes on."""
        made = self._requests_made
        while self._requests_answered < made and (sender := self._sender) is not None:
            if self._batch_answered is None:
                self._batch_answered = asyncio.get_running_loop().create_future()
            await asyncio.wait([self._batch_answered, sender], return_when=asyncio.FIRST_COMPLETED)

    async def _send_batches(self, redis: ResilientRedis) -> None:
        """Send the queued lease requests, one script call at a time, until none is left."""
        try:
            if self.batch_window > 0:
                await asyncio.sleep(self.batch_window)
            while self._asking:
                channels = list(itertools.islice(self._asking, MAX_BATCH))
                batch = [(channel, self._asking.pop(channel)) for channel in channels]
                await self._send(redis, batch)
                self._requests_answered += len(batch)
                self._wake_settled()
        finally:
            self._stop_sending()

    def _sender_done(self, sender: asyncio.Task[None]) -> None:
        """A sender cancelled before it ran (shutdown) never reached its ``finally``."""
        if self._sender is sender:
            self._stop_sending()

    def _stop_sending(self) -> None:
        """The sender ends: only a cancelled one (shutdown) leaves requests queued, whose
        waiting claims are cancelled, so no caller waits forever and the next claim starts a
        new sender."""
        self._sender = None
        for request in self._asking.values():
            _cancel(request.waiting)
        self._asking = {}
        self._requests_answered = self._requests_made
        self._wake_settled()

    def _wake_settled(self) -> None:
        """Let :meth:`settled` callers check whether their claims are answered now."""
        if self._batch_answered is not None:
            self._batch_answered.set_result(None)
            self._batch_answered = None

    async def _send(
        self, redis: ResilientRedis, batch: list[tuple[Channel, _LeaseRequest]]
    ) -> None:
        """One script call for the whole batch; each channel's lease, and the verdicts of the
        messages waiting for it, from its answer."""
        keys = [self.lease_key(*channel) for channel, _ in batch]
        lease_ms = round(LEASE_SECONDS * 1000)

        async def lease_in_redis(client: Redis) -> list[Any]:
            answers: list[Any] = await redis.script(LEASE_SCRIPT)(
                keys=keys, args=[self.holder, lease_ms], client=client
            )
            return answers

        asked = time.monotonic()
        try:
            answers: list[Any] = await redis.call(lease_in_redis)
        except asyncio.CancelledError:
            for _, request in batch:
                _cancel(request.waiting)  # shutting down: no handler waits forever
            raise
        except RedisUnavailableError:
            answers = [None] * len(batch)  # no Redis: each process awards, the database decides
        except Exception:
            log.exception(
                "Redis could not say who awards chat XP in %d channel(s); this process awards "
                "their messages and the database decides",
                len(batch),
            )
            answers = [None] * len(batch)
        answered = time.monotonic()
        for (channel, request), answer in zip(batch, answers, strict=True):
            if answer is not None and answer != HELD:
                self._held_until.pop(channel, None)
                self._elsewhere_until[channel] = answered + min(answer / 1000, RECHECK_SECONDS)
            elif answer == HELD:
                self._held_until[channel] = asked + LEASE_SECONDS
                self._elsewhere_until.pop(channel, None)
            for waiting in request.waiting:
                if waiting.decided is not None and waiting.decided.done():
                    continue  # its message's handler was cancelled
                if answer is None or answer == HELD:
                    claim = self._judge(
                        channel[0], waiting.user_id, waiting.sent, waiting.cooldown_seconds
                    )
                else:
                    claim = Claim.DENIED
                waiting.decide(claim)

    async def release(self) -> None:
        """Give back the leases this process holds (it stops), so that the other bots take its
        channels within :data:`RECHECK_SECONDS` rather than when the leases run out.

        Every claim made so far is answered first; from then on this process asks for no
        lease (what it still hears is judged in memory, the database deciding), so none is
        taken again after it was given back."""
        self._released = True
        await self.settled()
        channels = list(self._held_until)
        self._held_until.clear()
        if not channels or self.redis is None:
            return
        keys = [self.lease_key(*channel) for channel in channels]
        release_script = self.redis.script(RELEASE_SCRIPT)

        async def release_in_redis(client: Redis) -> object:
            return await release_script(keys=keys, args=[self.holder], client=client)

        try:
            await self.redis.call(release_in_redis)
        except RedisUnavailableError:
            log.info(
                "Redis is away: the chat XP leases of %d channel(s) run out in %g s",
                len(channels),
                LEASE_SECONDS,
            )
        except Exception:
            log.exception(
                "Could not give back the chat XP leases of %d channel(s); they run out in %g s",
                len(channels),
                LEASE_SECONDS,
            )

    def forget(self, user_id: int) -> None:
        """Drop a member's cooldowns from memory (a data-deletion request)."""
        for member in [member for member in self._ready_at if member[1] == user_id]:
            del self._ready_at[member]

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        latest = self._latest_message
        expired = [member for member, ready in self._ready_at.items() if ready <= latest]
        for member in expired:
            del self._ready_at[member]
        for leases in (self._held_until, self._elsewhere_until):
            for channel in [channel for channel, until in leases.items() if until <= now]:
                del leases[channel]


def _cancel(waiting: list[_Waiting]) -> None:
    for claim in waiting:
        if claim.decided is not None:
            claim.decided.cancel()
