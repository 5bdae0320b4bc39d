"""XP and leveling: awards on the hot path, a write-behind buffer, and level-ups fired once.

**The hot path never waits on the database.** An award reads the guild's rules from the cache
hierarchy (memory), applies the no-XP channels and roles, the message cooldown (memory; with
Redis, only the process holding the channel's lease awards its chat XP, see
:mod:`botfleet.gamification.cooldowns`) and appends to this process's buffer. The XP cog's
message handler does not even wait for Redis when a channel's lease is asked for: the award is
buffered when the batch answers.

**Write-behind.** Awards wait in this process's buffer and are saved in batches in the
background (:mod:`botfleet.gamification.write_behind`, which also says what a crash loses).

**Exactly once.** Each level-up and unlock is decided by the one transaction that caused it (in
whichever process), and dispatched by that process only: ``xp_level_up`` with a
:class:`LevelUp`, ``achievement_unlock`` with an :class:`AchievementUnlocked`. A game's
``report_game(results)`` (and ``check_level_up(user_id)``) saves at once and hands the level-ups
to the caller instead of dispatching them, so each is announced by one party.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Collection, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from botfleet.database.base import Database, describe_error
from botfleet.database.models import User
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification.boards import Board, LeaderboardCategory, RankedEntry
from botfleet.gamification.cooldowns import Claim, MessageCooldowns
from botfleet.gamification.events import (
    AchievementUnlocked,
    Dispatch,
    FlushReport,
    LevelUp,
    XPAward,
    XPSource,
)
from botfleet.gamification.games import Reported, game_award
from botfleet.gamification.guild_settings import GuildSettingsService, GuildXPConfig
from botfleet.gamification.leaderboard_pages import LeaderboardService
from botfleet.gamification.levels import LevelProgress
from botfleet.gamification.options import MAX_AWARD, GamificationOptions
from botfleet.gamification.periods import Period
from botfleet.gamification.redis_rankings import RedisRankings
from botfleet.gamification.rules_wait import RULES_WAIT_SECONDS, RulesWait
from botfleet.gamification.store import AdjustmentResult, AdminAction, XPStore
from botfleet.gamification.write_behind import XPWriteBehind
from botfleet.gamification.xp_admin import audit_adjustment, check_admin_amount

log = logging.getLogger(__name__)

MESSAGE_COUNTERS: Final[Mapping[str, int]] = MappingProxyType(
    {LeaderboardCategory.MESSAGES.value: 1}
)
"""What a chat message counts on the boards: one mapping shared by every message award."""


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """What a rank card shows: XP, level, progress and the member's all-time XP rank."""

    user_id: int
    guild_id: int | None
    progress: LevelProgress
    rank: RankedEntry | None


class _ChatMessage(NamedTuple):
    """A chat message out of its member's cooldown, until its claim is decided."""

    config: GuildXPConfig
    user_id: int
    guild_id: int
    channel_id: int
    sent: float
    username: str | None


def _epoch_seconds(sent_at: datetime | float | None) -> float:
    """A message's time in epoch seconds (now when unknown)."""
    if sent_at is None:
        return time.time()
    return sent_at.timestamp() if isinstance(sent_at, datetime) else sent_at


def _check_award(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AWARD:
        raise ValueError(f"An XP award must be an integer from 0 to {MAX_AWARD}, got {amount!r}.")


FIRST_READ_WAIT_SECONDS: Final = 5.0
"""How long a save, a reset or a deletion waits for messages reading their guild's rules: a
read takes milliseconds; one the database does not answer must not hold a deletion up."""


class XPSystem:
    """Awards XP, saves it behind the hot path, and reports level-ups once."""

    def __init__(
        self,
        database: Database,
        store: XPStore,
        settings: GuildSettingsService,
        leaderboards: LeaderboardService,
        *,
        options: GamificationOptions,
        bot_name: str | None,
        rankings: RedisRankings | None = None,
        cooldowns: MessageCooldowns | None = None,
        dispatch: Dispatch | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.store = store
        self.settings = settings
        self.leaderboards = leaderboards
        self.options = options
        self.bot_name = bot_name
        self.rankings = rankings
        self.cooldowns = cooldowns if cooldowns is not None else MessageCooldowns(None, "")
        # Which of 15-25 XP a message earns is a game mechanic, not a secret.
        self._random = rng or random.Random()  # noqa: S311  (an XP roll, not a secret)
        self._settings_failing = False
        self._rules_wait: RulesWait[GuildXPConfig] = RulesWait(self._guild_config)
        """Chat waiting for its guild's rules while the database cannot give them."""
        self._first_reads: set[asyncio.Future[None]] = set()
        """Messages heard while their guild's rules are read into the cache (a cache miss, a
        few milliseconds): saves, resets and deletions wait for them as for lease claims, so
        a message heard before a flush is in it."""
        self.writer = XPWriteBehind(store, options, rankings=rankings, dispatch=dispatch)

    @property
    def pending_awards(self) -> int:
        """Awards not saved yet: buffered, or in batches waiting for a retry."""
        return self.writer.pending_awards

    @property
    def awards_by_source(self) -> Counter[XPSource]:
        """XP events this process took, by source, for its metrics."""
        return self.writer.awards_by_source

    async def award_xp(
        self,
        user_id: int,
        amount: int,
        reason: str,
        *,
        guild_id: int | None = None,
        bot_name: str | None = None,
        channel_id: int | None = None,
        role_ids: Collection[int] = (),
        username: str | None = None,
        source: XPSource = XPSource.CUSTOM,
        counters: Mapping[str, int] | None = None,
        gauges: Mapping[str, int] | None = None,
        occurred_at: datetime | None = None,
    ) -> XPAward | None:
        """Award ``amount`` XP (before premium boosts) for ``reason``; None if none is earned.

        In a guild the guild's rules apply: XP switched off, no-XP channels and roles.
        """
        _check_award(amount)
        if guild_id is not None:
            config = await self._guild_config(guild_id)
            if config is None or not config.earns_xp(channel_id, role_ids):
                return None
        return self.writer.add(
            XPAward(
                user_id=user_id,
                amount=amount,
                reason=reason,
                source=source,
                occurred_at=occurred_at or datetime.now(UTC),
                guild_id=guild_id,
                bot_name=bot_name or self.bot_name,
                channel_id=channel_id,
                username=username,
                counters=dict(counters or {}),
                gauges=dict(gauges or {}),
            )
        )

    async def award_message(
        self,
        user_id: int,
        guild_id: int,
        channel_id: int,
        role_ids: Collection[int] = (),
        *,
        sent_at: datetime | float | None = None,
        username: str | None = None,
    ) -> XPAward | None:
        """XP for a chat message: a random amount in the guild's range, once per cooldown.

        ``sent_at`` is when the message was sent, as a datetime or epoch seconds (what a
        message id gives without building a datetime). A member still in cooldown here, the
        common case, costs one dictionary lookup: the guild's rules are not even read. Waits
        for Redis when the channel's lease is asked for; :meth:`hear_message` does not.
        """
        sent = _epoch_seconds(sent_at)
        if self.cooldowns.cooling(guild_id, channel_id, user_id, sent):
            return None
        return await self._claim_message(
            user_id, guild_id, channel_id, role_ids, sent=sent, username=username
        )

    async def award_message_deferred(
        self,
        user_id: int,
        guild_id: int,
        channel_id: int,
        role_ids: Collection[int] = (),
        *,
        sent_at: float | None = None,
        username: str | None = None,
    ) -> None:
        """:meth:`hear_message`, awaiting the guild's rules when they must be read."""
        pending = self.hear_message(
            user_id, guild_id, channel_id, role_ids, sent_at=sent_at, username=username
        )
        if pending is not None:
            await pending

    def hear_message(
        self,
        user_id: int,
        guild_id: int,
        channel_id: int,
        role_ids: Collection[int] = (),
        *,
        sent_at: float | None = None,
        username: str | None = None,
    ) -> Coroutine[Any, Any, None] | None:
        """:meth:`award_message` for a message handler, called as the message arrives: decided
        here without a coroutine (None) unless the guild's rules must be read first (the
        coroutine that reads them, for the caller to run as a task).

        When the channel's lease must be asked for, the claim is queued and the award buffered
        when Redis's batch answers (a few milliseconds later). :meth:`flush`, :meth:`stop` and
        the member's saves wait for claims still on their way, so none is lost.
        """
        sent = time.time() if sent_at is None else sent_at
        if self.cooldowns.cooling(guild_id, channel_id, user_id, sent):
            return None  # the common case
        config = self.settings.cached(guild_id)
        if config is None:
            return self._hear_when_read(
                user_id, guild_id, channel_id, role_ids, sent=sent, username=username
            )
        self._hear(_ChatMessage(config, user_id, guild_id, channel_id, sent, username), role_ids)
        return None

    async def _hear_when_read(
        self,
        user_id: int,
        guild_id: int,
        channel_id: int,
        role_ids: Collection[int],
        *,
        sent: float,
        username: str | None,
    ) -> None:
        waiting = self._rules_wait

        def hear(config: GuildXPConfig) -> None:
            if not waiting.stopped:
                message = _ChatMessage(config, user_id, guild_id, channel_id, sent, username)
                self._hear(message, role_ids)

        if not waiting.reading(guild_id):  # else the database failed: join the guild's read
            read = asyncio.get_running_loop().create_future()
            self._first_reads.add(read)
            try:
                config = await self._guild_config(guild_id)
                if config is not None:
                    hear(config)
                    return
            finally:
                self._first_reads.discard(read)
                read.set_result(None)
        config = await waiting.rules(guild_id)
        if config is not None:
            hear(config)

    async def _settled(self) -> None:
        """Wait until every message heard so far is judged: its guild's rules read (at most
        :data:`FIRST_READ_WAIT_SECONDS`; a read the database fails then waits for them on its
        own) and its channel's lease known. Before a save, a reset or a deletion, so no award
        arrives after it."""
        await asyncio.sleep(0)  # the hook tasks of messages heard just before begin reading
        if self._first_reads:
            await asyncio.wait(set(self._first_reads), timeout=FIRST_READ_WAIT_SECONDS)
        await self.cooldowns.settled()

    def _hear(self, message: _ChatMessage, role_ids: Collection[int]) -> None:
        """Buffer the award of a message out of its member's cooldown: now when this process
        knows the verdict (the common case), else when Redis answers."""
        config, user_id, guild_id, channel_id, sent, _ = message
        if not config.earns_xp(channel_id, role_ids):
            return
        cooldown = config.message_cooldown_seconds
        known = self.cooldowns.verdict(guild_id, channel_id, user_id, sent, cooldown)
        if known is not None:
            self._buffer_message(message, known)
            return
        buffer = partial(self._buffer_message, message)
        self.cooldowns.claim_later(guild_id, channel_id, user_id, sent, cooldown, decide=buffer)

    async def _claim_message(
        self,
        user_id: int,
        guild_id: int,
        channel_id: int,
        role_ids: Collection[int],
        *,
        sent: float,
        username: str | None,
    ) -> XPAward | None:
        """Judge a message out of its member's cooldown and buffer its award, waiting for
        Redis when the channel's lease must be asked for."""
        config = self.settings.cached(guild_id) or await self._guild_config(guild_id)
        if config is None or not config.earns_xp(channel_id, role_ids):
            return None
        cooldown = config.message_cooldown_seconds
        known = self.cooldowns.verdict(guild_id, channel_id, user_id, sent, cooldown)
        if known is None:
            known = await self.cooldowns.claim(guild_id, channel_id, user_id, sent, cooldown)
        message = _ChatMessage(config, user_id, guild_id, channel_id, sent, username)
        return self._buffer_message(message, known)

    def _buffer_message(self, message: _ChatMessage, claim: Claim) -> XPAward | None:
        """Buffer a message's award once its cooldown claim is decided."""
        if claim is Claim.DENIED:
            return None
        config, user_id, guild_id, channel_id, sent, username = message
        return self.writer.add(
            XPAward(
                user_id=user_id,
                amount=self._random.randint(config.message_xp_min, config.message_xp_max),
                reason="message",
                source=XPSource.MESSAGE,
                occurred_at=datetime.fromtimestamp(sent, UTC),
                guild_id=guild_id,
                bot_name=self.bot_name,
                channel_id=channel_id,
                username=username,
                counters=MESSAGE_COUNTERS,
                cooldown_seconds=config.message_cooldown_seconds,
            )
        )

    async def award_command(
        self,
        user_id: int,
        command: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        role_ids: Collection[int] = (),
        username: str | None = None,
    ) -> XPAward | None:
        """XP for a completed command (the architecture's 5 XP, or the guild's rate)."""
        amount = self.options.command_xp
        if guild_id is not None:
            config = await self._guild_config(guild_id)
            if config is None or not config.earns_xp(channel_id, role_ids):
                return None
            amount = config.command_xp
        return self.writer.add(
            XPAward(
                user_id=user_id,
                amount=amount,
                reason=f"command:{command}",
                source=XPSource.COMMAND,
                occurred_at=datetime.now(UTC),
                guild_id=guild_id,
                bot_name=self.bot_name,
                channel_id=channel_id,
                username=username,
                counters={LeaderboardCategory.COMMANDS.value: 1},
            )
        )

    async def report_game(
        self,
        results: Iterable[Reported],
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        bot_name: str | None = None,
        save_now: bool = True,
    ) -> list[LevelUp]:
        """Report a game's results and feats (:mod:`botfleet.gamification.games`) in one call.

        Each earns its outcome's XP (the guild's rates and no-XP channels and roles apply) and
        counts on the game boards. With ``save_now`` the results and the players' buffered XP
        are saved at once, in one transaction, and the level-ups they caused in ``guild_id``
        are returned for the caller to announce with the game; otherwise they wait in the
        buffer like chat XP, their level-ups go to the listeners, and none is returned. A
        game's XP is never refused: when too many awards wait it is saved at once (the game
        waits for it), and while the database fails it is kept beyond the buffer's limit.
        """
        bot = bot_name or self.bot_name
        if bot is None:
            raise ValueError("A game result needs the name of the bot that ran the game.")
        config = await self._guild_config(guild_id) if guild_id is not None else None
        if guild_id is not None and config is None:
            return []
        xp_for = config.game_xp_for if config is not None else self._default_game_xp
        awards: list[XPAward] = []
        for reported in results:
            if config is not None and not config.earns_xp(channel_id, reported.role_ids):
                continue
            award = game_award(
                reported,
                bot_name=bot,
                guild_id=guild_id,
                channel_id=channel_id,
                occurred_at=datetime.now(UTC),
                xp_for=xp_for,
            )
            _check_award(award.amount)
            awards.append(award)
        if not awards:
            return []
        self.awards_by_source.update(award.source for award in awards)
        if not save_now and not self.writer.full():
            self.writer.keep(awards)
            return []
        if not save_now:
            # Back-pressure rather than loss: the game waits for its results to be saved.
            log.warning(
                "Too many XP awards wait: the %d of a game are saved before it goes on",
                len(awards),
            )
        players = list(dict.fromkeys(award.user_id for award in awards))
        return await self.writer.save_now(players, awards, guild_id, hand_over=save_now)

    def _default_game_xp(self, outcome: str) -> int:
        return self.options.game_xp.get(outcome, 0)

    async def _guild_config(self, guild_id: int) -> GuildXPConfig | None:
        """The guild's rules, or None when they cannot be read (no XP rather than wrong XP)."""
        try:
            config = await self.settings.get(guild_id)
        except (SQLAlchemyError, OSError) as exc:
            if not self._settings_failing:
                log.warning(
                    "Cannot read guild XP settings (%s); chat in guilds whose settings are not "
                    "cached waits for them up to %.0f s, other events there earn no XP until "
                    "the database answers",
                    describe_error(exc),
                    RULES_WAIT_SECONDS,
                )
                self._settings_failing = True
            return None
        if self._settings_failing:
            log.info("Guild XP settings are readable again")
            self._settings_failing = False
        return config

    async def check_level_up(self, user_id: int, *, guild_id: int | None = None) -> list[LevelUp]:
        """Save this member's buffered XP now and return the level-ups it caused.

        Without ``guild_id`` every level-up is returned (the architecture's usage); with it,
        only that guild's. Those returned are the caller's to announce; the others are
        dispatched to the listeners as usual. An empty list when nothing levelled up, or when
        the database is failing (the XP stays queued and is saved later).
        """
        await self._settled()
        return await self.writer.save_now([user_id], [], guild_id)

    async def flush(self) -> list[FlushReport]:
        """Save everything buffered now; raise if the database fails (nothing is lost then)."""
        await self._settled()
        return await self.writer.flush()

    async def start(self) -> None:
        """Start saving the buffer in the background."""
        await self.writer.start()

    async def stop(self) -> None:
        """Hand this process's channels over to the other bots, then stop the background task
        and save everything still buffered. The leases go first: a slow database cancelling
        the save must not keep the channels without an awarder until the leases run out."""
        await self._rules_wait.stop()  # chat still waiting for its rules earns nothing now
        await self.cooldowns.release()  # every claim answered first
        await self.writer.stop()

    async def give_xp(
        self, guild_id: int, user_id: int, amount: int, *, actor_id: int, reason: str | None = None
    ) -> AdjustmentResult:
        """An administrator gives a member XP in their guild."""
        check_admin_amount(amount)
        return await self._adjust(
            guild_id, user_id, AdminAction.GIVE, amount, actor_id=actor_id, reason=reason
        )

    async def take_xp(
        self, guild_id: int, user_id: int, amount: int, *, actor_id: int, reason: str | None = None
    ) -> AdjustmentResult:
        """An administrator takes XP from a member in their guild (never below 0)."""
        check_admin_amount(amount)
        return await self._adjust(
            guild_id, user_id, AdminAction.TAKE, amount, actor_id=actor_id, reason=reason
        )

    async def reset_xp(
        self, guild_id: int, user_id: int, *, actor_id: int, reason: str | None = None
    ) -> AdjustmentResult:
        """An administrator resets a member to 0 XP and level 1 in their guild."""
        return await self._adjust(
            guild_id, user_id, AdminAction.RESET, 0, actor_id=actor_id, reason=reason
        )

    async def _adjust(
        self,
        guild_id: int,
        user_id: int,
        action: AdminAction,
        amount: int,
        *,
        actor_id: int,
        reason: str | None,
    ) -> AdjustmentResult:
        # Buffered XP first: otherwise it would land on top of a reset.
        await self._settled()
        async with self.writer.member_saved(user_id):
            result = await self.store.adjust_member_xp(
                guild_id, user_id, action, amount, actor_id=actor_id, reason=reason
            )
        audit_adjustment(
            result,
            action=action,
            guild_id=guild_id,
            user_id=user_id,
            amount=amount,
            actor_id=actor_id,
            reason=reason,
        )
        if self.rankings is not None:
            await self.rankings.publish(result.rankings, exact=True)
            await self.rankings.remove(
                [
                    Board(category, Period(period), scope, start)
                    for scope, category, period, start in result.removed_boards
                ],
                user_id,
                result.version,
            )
        await self.leaderboards.invalidate_guild(guild_id)
        return result

    async def grant_achievement(
        self,
        user_id: int,
        achievement_id: int,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        bot_name: str | None = None,
    ) -> AchievementUnlocked | None:
        """Unlock one achievement now; its events are dispatched like any other."""
        report = await self.store.grant_achievement(
            user_id,
            achievement_id,
            guild_id=guild_id,
            channel_id=channel_id,
            bot_name=bot_name or self.bot_name,
        )
        await self.writer.after_save(report)
        return next(
            (event for event in report.unlocks if event.achievement_id == achievement_id), None
        )

    async def profile(self, user_id: int, guild_id: int | None = None) -> MemberProfile:
        """A member's saved XP, level, progress and all-time XP rank (in a guild or fleet-wide)."""
        async with self.database.session() as session:
            if guild_id is None:
                xp = await session.scalar(select(User.total_xp).where(User.id == user_id))
            else:
                xp = await session.scalar(
                    select(MemberXP.xp).where(
                        MemberXP.guild_id == guild_id, MemberXP.user_id == user_id
                    )
                )
        rank = await self.leaderboards.rank_of(
            user_id, LeaderboardCategory.XP.value, Period.ALL_TIME, guild_id=guild_id
        )
        return MemberProfile(user_id, guild_id, self.store.curve.progress(xp or 0), rank)

    async def forget_user(self, user_id: int) -> int:
        """Drop a member's unsaved awards and cooldowns (a data-deletion request)."""
        await self._settled()  # no message on its way buffers an award after this
        dropped = await self.writer.forget_user(user_id)
        self.cooldowns.forget(user_id)
        return dropped
