"""XP and leveling: awards on the hot path, a write-behind buffer, and level-ups fired once.

**The hot path never waits on the database.** An award reads the guild's rules from the cache
hierarchy (memory), applies the no-XP channels and roles, the message cooldown (memory, then one
atomic script in Redis when configured, see :mod:`botfleet.gamification.cooldowns`) and appends
to this process's buffer.

**Write-behind.** A background task saves the buffer every ``flush_interval`` seconds, or at
once when ``flush_batch_size`` awards wait, in batches of whole members, each batch one
transaction (:mod:`botfleet.gamification.store`). A batch that fails stays queued, under the same
id, and is retried first; since its id is recorded in the transaction, a retry after a commit
whose acknowledgement was lost does nothing. New awards are refused (with one error log) beyond
``max_pending_awards``, so a long database outage cannot exhaust memory.

**What a crash loses.** A graceful :meth:`XPSystem.stop` saves everything. A crash (SIGKILL,
power loss) loses the awards not saved yet: those of the last ``flush_interval`` (2 s by
default) plus the save in progress, measured at 2.9 s (SQLite) to 3.7 s (PostgreSQL) of awards
at half the pipeline's capacity in ``benchmarks/xp_pipeline.py``; and any batches waiting for
an unreachable database. Every batch is saved whole or not at all; nothing saved is lost or
counted twice. Events are dispatched after their commit: a crash between the two loses the
announcement, never the XP or level.

**Exactly once.** Each level-up and unlock is decided by the one transaction that caused it (in
whichever process), and dispatched by that process only: ``xp_level_up`` with a
:class:`LevelUp`, ``achievement_unlock`` with an :class:`AchievementUnlocked`. A game's
``report_game(results)`` (and ``check_level_up(user_id)``) saves at once and hands the level-ups
to the caller instead of dispatching them, so each is announced by one party.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from botfleet.database.base import Database, describe_error
from botfleet.database.models import User
from botfleet.database.models.gamification import MemberXP
from botfleet.errors import UserError
from botfleet.gamification.cooldowns import Claim, MessageCooldowns
from botfleet.gamification.events import (
    ACHIEVEMENT_EVENT,
    LEVEL_UP_EVENT,
    AchievementUnlocked,
    Dispatch,
    FlushReport,
    LevelUp,
    XPAward,
    XPSource,
)
from botfleet.gamification.games import Reported, game_award
from botfleet.gamification.guild_settings import GuildSettingsService, GuildXPConfig
from botfleet.gamification.leaderboards import (
    Board,
    LeaderboardCategory,
    LeaderboardService,
    RankedEntry,
    RedisRankings,
)
from botfleet.gamification.levels import LevelProgress
from botfleet.gamification.options import MAX_AWARD, AnnouncementMode, GamificationOptions
from botfleet.gamification.periods import Period
from botfleet.gamification.store import AdjustmentResult, AdminAction, XPStore

log = logging.getLogger(__name__)
audit_log = logging.getLogger("botfleet.gamification.audit")
"""One line per administrator's XP change, for operators to route wherever they keep audits."""

MAX_ADMIN_AMOUNT: Final = 1_000_000
RETRY_BACKOFF_LIMIT: Final = 16
"""Longest wait between retries of a failing save, in flush intervals."""
PRUNE_INTERVAL_SECONDS: Final = 3600.0

LevelUpFilter = Callable[[LevelUp], bool]
"""Picks the level-ups a caller of ``check_level_up`` announces itself."""


class XPAdjustmentError(UserError):
    """An administrator's XP change that cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """Where to announce a level-up: a channel, or the member's DMs (``channel_id`` None)."""

    mode: AnnouncementMode
    channel_id: int | None


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """What a rank card shows: XP, level, progress and the member's all-time XP rank."""

    user_id: int
    guild_id: int | None
    progress: LevelProgress
    rank: RankedEntry | None


class Announceable(Protocol):
    """A level-up or an achievement: the guild and channel where it was earned."""

    @property
    def guild_id(self) -> int | None: ...

    @property
    def channel_id(self) -> int | None: ...


def announcement_for(level_up: Announceable, config: GuildXPConfig) -> Announcement | None:
    """Where a guild wants this level-up (or achievement) announced, or None (off, or nowhere
    to say it)."""
    if level_up.guild_id is None or level_up.guild_id != config.guild_id:
        return None
    mode = config.announcement_mode
    if mode is AnnouncementMode.DM:
        return Announcement(mode, None)
    if mode is AnnouncementMode.CHOSEN_CHANNEL and config.announcement_channel_id is not None:
        return Announcement(mode, config.announcement_channel_id)
    if mode is AnnouncementMode.CHANNEL and level_up.channel_id is not None:
        return Announcement(mode, level_up.channel_id)
    return None


def _check_award(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AWARD:
        raise ValueError(f"An XP award must be an integer from 0 to {MAX_AWARD}, got {amount!r}.")


def _check_admin_amount(amount: int) -> None:
    if not 1 <= amount <= MAX_ADMIN_AMOUNT:
        raise XPAdjustmentError(
            f"You can give or take between 1 and {MAX_ADMIN_AMOUNT:,} XP at a time."
        )


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
        self._dispatch = dispatch
        # Which of 15-25 XP a message earns is a game mechanic, not a secret.
        self._random = rng or random.Random()  # noqa: S311
        self._buffer: dict[int, list[XPAward]] = {}
        self._buffered = 0
        self.awards_by_source: Counter[XPSource] = Counter()
        """XP events this process took, by source, for its metrics."""
        self._retry: deque[tuple[str, list[XPAward]]] = deque()
        self._flush_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stop_requested = asyncio.Event()
        self._refusing = False
        self._settings_failing = False
        self._next_prune = time.monotonic()
        self._handler_tasks: set[asyncio.Future[Any]] = set()

    @property
    def pending_awards(self) -> int:
        """Awards not saved yet: buffered, or in batches waiting for a retry."""
        return self._buffered + sum(len(awards) for _, awards in self._retry)

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
        return self._buffer_award(
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
        common case, costs one dictionary lookup: the guild's rules are not even read.
        """
        if sent_at is None:
            sent_at = datetime.now(UTC)
        sent = sent_at.timestamp() if isinstance(sent_at, datetime) else sent_at
        if self.cooldowns.cooling(guild_id, user_id, sent):
            return None
        config = self.settings.cached(guild_id) or await self._guild_config(guild_id)
        if config is None or not config.earns_xp(channel_id, role_ids):
            return None
        cooldown = config.message_cooldown_seconds
        claim = await self.cooldowns.claim(guild_id, user_id, sent, cooldown)
        if claim is Claim.DENIED:
            return None
        if not isinstance(sent_at, datetime):
            sent_at = datetime.fromtimestamp(sent, UTC)
        return self._buffer_award(
            XPAward(
                user_id=user_id,
                amount=self._random.randint(config.message_xp_min, config.message_xp_max),
                reason="message",
                source=XPSource.MESSAGE,
                occurred_at=sent_at,
                guild_id=guild_id,
                bot_name=self.bot_name,
                channel_id=channel_id,
                username=username,
                counters={LeaderboardCategory.MESSAGES.value: 1},
                cooldown_seconds=cooldown,
                cooldown_settled=claim is Claim.SHARED,
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
        return self._buffer_award(
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
        buffer like chat XP, their level-ups go to the listeners, and none is returned.
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
        if not save_now:
            for award in awards:
                self._buffer_award(award)
            return []
        if not awards or self._full():
            return []
        self.awards_by_source.update(award.source for award in awards)
        players = list(dict.fromkeys(award.user_id for award in awards))
        return await self._save_now(players, awards, guild_id)

    def _default_game_xp(self, outcome: str) -> int:
        return self.options.game_xp.get(outcome, 0)

    async def _guild_config(self, guild_id: int) -> GuildXPConfig | None:
        """The guild's rules, or None when they cannot be read (no XP rather than wrong XP)."""
        try:
            config = await self.settings.get(guild_id)
        except (SQLAlchemyError, OSError) as exc:
            if not self._settings_failing:
                log.warning(
                    "Cannot read guild XP settings (%s); events in guilds whose settings are "
                    "not cached earn no XP until the database answers",
                    describe_error(exc),
                )
                self._settings_failing = True
            return None
        if self._settings_failing:
            log.info("Guild XP settings are readable again")
            self._settings_failing = False
        return config

    def _full(self) -> bool:
        """Whether new awards are refused: too many wait to be saved (logged once)."""
        if self.pending_awards >= self.options.max_pending_awards:
            if not self._refusing:
                log.error(
                    "%d XP awards are waiting to be saved (the database is failing?); new awards "
                    "are dropped until they are saved",
                    self.pending_awards,
                )
                self._refusing = True
            return True
        self._refusing = False
        return False

    def _buffer_award(self, award: XPAward) -> XPAward | None:
        if self._full():
            return None
        self._buffer.setdefault(award.user_id, []).append(award)
        self._buffered += 1
        self.awards_by_source[award.source] += 1
        if self._buffered >= self.options.flush_batch_size:
            self._wakeup.set()
        return award

    async def check_level_up(self, user_id: int, *, guild_id: int | None = None) -> list[LevelUp]:
        """Save this member's buffered XP now and return the level-ups it caused.

        Without ``guild_id`` every level-up is returned (the architecture's usage); with it,
        only that guild's. Those returned are the caller's to announce; the others are
        dispatched to the listeners as usual. An empty list when nothing levelled up, or when
        the database is failing (the XP stays queued and is saved later).
        """
        return await self._save_now([user_id], [], guild_id)

    async def _save_now(
        self, user_ids: Collection[int], awards: list[XPAward], guild_id: int | None
    ) -> list[LevelUp]:
        """Save the members' buffered XP and ``awards`` in one batch, ahead of the buffer, and
        return the level-ups in ``guild_id`` (all of them without it) instead of dispatching them.

        Nothing is returned when the database is failing: the awards then wait in the buffer
        or the retry queue, and are saved later.
        """
        belongs = self._belongs_to_caller(guild_id)
        async with self._flush_lock:
            try:
                await self._save_retries()
            except Exception:
                log.warning("XP of %d member(s): earlier XP is not saved yet", len(user_ids))
                for award in awards:
                    self._buffer_award(award)
                return []
            batch = [award for user_id in user_ids for award in self._buffer.pop(user_id, [])]
            self._buffered -= len(batch)
            batch.extend(awards)
            if not batch:
                return []
            report = await self._save_batch(batch, hold=belongs)
        return [] if report is None else [event for event in report.level_ups if belongs(event)]

    @staticmethod
    def _belongs_to_caller(guild_id: int | None) -> LevelUpFilter:
        def belongs(event: LevelUp) -> bool:
            return guild_id is None or event.guild_id == guild_id

        return belongs

    async def flush(self) -> list[FlushReport]:
        """Save everything buffered now; raise if the database fails (nothing is lost then)."""
        async with self._flush_lock:
            reports = await self._save_retries()
            while self._buffer:
                report = await self._save_batch(self._take_batch(), hold=None, raise_errors=True)
                if report is not None:
                    reports.append(report)
            return reports

    def _take_batch(self) -> list[XPAward]:
        """Whole members' awards, oldest members first, up to about ``flush_batch_size``."""
        batch: list[XPAward] = []
        while self._buffer and len(batch) < self.options.flush_batch_size:
            user_id = next(iter(self._buffer))
            batch.extend(self._buffer.pop(user_id))
        self._buffered -= len(batch)
        return batch

    async def _save_retries(self) -> list[FlushReport]:
        reports = []
        while self._retry:
            batch_id, awards = self._retry[0]
            report = await self.store.save(batch_id, awards)
            self._retry.popleft()
            reports.append(report)
            await self._after_save(report, hold=None)
        return reports

    async def _save_batch(
        self, awards: list[XPAward], *, hold: LevelUpFilter | None, raise_errors: bool = False
    ) -> FlushReport | None:
        """Save one batch; on failure it joins the retry queue under the same id."""
        batch_id = self.store.new_batch_id()
        self._retry.append((batch_id, awards))
        try:
            report = await self.store.save(batch_id, awards)
        except Exception:
            if raise_errors:
                raise
            log.exception("Saving %d XP awards failed; they will be retried", len(awards))
            return None
        self._retry.pop()
        await self._after_save(report, hold=hold)
        return report

    async def _after_save(self, report: FlushReport, *, hold: LevelUpFilter | None) -> None:
        """Dispatch what a committed batch caused and mirror its values into Redis."""
        for level_up in report.level_ups:
            if hold is None or not hold(level_up):
                self._fire(LEVEL_UP_EVENT, level_up)
        for unlock in report.unlocks:
            self._fire(ACHIEVEMENT_EVENT, unlock)
        if self.rankings is not None and report.rankings:
            await self.rankings.publish(report.rankings)

    def _fire(self, name: str, event: LevelUp | AchievementUnlocked) -> None:
        if self._dispatch is None:
            return
        try:
            outcome = self._dispatch(name, event)
        except Exception:
            log.exception("Handler of %s failed for %r", name, event)
            return
        if inspect.isawaitable(outcome):
            handler = asyncio.ensure_future(outcome)
            self._handler_tasks.add(handler)
            handler.add_done_callback(functools.partial(self._handler_finished, name))

    def _handler_finished(self, name: str, handler: asyncio.Future[Any]) -> None:
        self._handler_tasks.discard(handler)
        if not handler.cancelled() and handler.exception() is not None:
            log.error("Handler of %s failed", name, exc_info=handler.exception())

    async def start(self) -> None:
        """Start saving the buffer in the background."""
        if self._loop_task is not None:
            raise RuntimeError("The XP system is already running.")
        self._stop_requested.clear()
        self._loop_task = asyncio.create_task(self._run(), name="botfleet-xp-flusher")

    async def stop(self) -> None:
        """Stop the background task and save everything still buffered."""
        loop_task = self._loop_task
        if loop_task is not None:
            self._stop_requested.set()
            await asyncio.gather(loop_task, return_exceptions=True)
            self._loop_task = None
        try:
            await self.flush()
        except Exception:
            members = len(self._buffer) + len({a.user_id for _, b in self._retry for a in b})
            log.exception(
                "Could not save %d XP awards of about %d members on shutdown: they are lost",
                self.pending_awards,
                members,
            )
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)

    async def _run(self) -> None:
        """Save every ``flush_interval``, or at once when a batch is full; back off on failures."""
        failures = 0
        last_start = time.monotonic()
        while not self._stop_requested.is_set():
            # Saves start every interval (not an interval after the last one ended), so an
            # award waits at most one interval plus one save; a full buffer starts one at once,
            # except while the database is failing.
            if failures:
                delay = self.options.flush_interval * min(RETRY_BACKOFF_LIMIT, 2**failures)
                wake_on = self._stop_requested
            else:
                delay = max(0.0, last_start + self.options.flush_interval - time.monotonic())
                wake_on = self._wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake_on.wait(), timeout=delay)
            self._wakeup.clear()
            if self._stop_requested.is_set():
                return
            last_start = time.monotonic()
            try:
                await self.flush()
                await self._prune_now_and_then()
                failures = 0
            except Exception:
                failures += 1
                log.warning(
                    "Saving XP failed (%d in a row); %d awards wait, next try in %.0f s",
                    failures,
                    self.pending_awards,
                    self.options.flush_interval * min(RETRY_BACKOFF_LIMIT, 2**failures),
                    exc_info=failures == 1,
                )

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        removed = await self.store.prune(datetime.now(UTC))
        if removed:
            log.info("Pruned %d expired leaderboard rows and saved-batch ids", removed)

    async def give_xp(
        self, guild_id: int, user_id: int, amount: int, *, actor_id: int, reason: str | None = None
    ) -> AdjustmentResult:
        """An administrator gives a member XP in their guild."""
        _check_admin_amount(amount)
        return await self._adjust(
            guild_id, user_id, AdminAction.GIVE, amount, actor_id=actor_id, reason=reason
        )

    async def take_xp(
        self, guild_id: int, user_id: int, amount: int, *, actor_id: int, reason: str | None = None
    ) -> AdjustmentResult:
        """An administrator takes XP from a member in their guild (never below 0)."""
        _check_admin_amount(amount)
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
        async with self._flush_lock:
            # Buffered XP first: otherwise it would land on top of a reset.
            await self._save_retries()
            awards = self._buffer.pop(user_id, [])
            self._buffered -= len(awards)
            if awards:
                await self._save_batch(awards, hold=None, raise_errors=True)
            result = await self.store.adjust_member_xp(
                guild_id, user_id, action, amount, actor_id=actor_id, reason=reason
            )
        audit_log.info(
            "XP %s by %d in guild %d: member %d, amount %d, XP %d -> %d, level %d -> %d, reason %r",
            action.value,
            actor_id,
            guild_id,
            user_id,
            amount,
            result.xp_before,
            result.xp_after,
            result.level_before,
            result.level_after,
            reason,
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
        await self._after_save(report, hold=None)
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
        async with self._flush_lock:
            dropped = self._buffer.pop(user_id, [])
            self._buffered -= len(dropped)
            for index, (batch_id, awards) in enumerate(self._retry):
                self._retry[index] = (batch_id, [a for a in awards if a.user_id != user_id])
        self.cooldowns.forget(user_id)
        return len(dropped)
