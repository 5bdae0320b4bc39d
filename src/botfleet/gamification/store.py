"""Saving XP: one database transaction per batch of awards, applied exactly once.

Exactly once, across every bot process sharing the database:

* **No double counting.** Each batch carries a random id, inserted into ``xp_flush_batches`` in
  the transaction that applies it. A retry after a failure whose commit may nevertheless have
  happened (a connection lost at commit) finds its id and does nothing.
* **One lock order.** A transaction first locks the ``users`` rows of every member it touches,
  in ascending id order (an upsert that always updates, so existing rows are locked too). All
  other rows it writes belong to those members, so two transactions touching the same member run
  one after the other, and transactions never wait on each other in a cycle. SQLite, which has
  one writer at a time, starts the transaction with a write so it holds the lock from the start.
* **Level-ups and unlocks decided under the lock.** The level stored with the XP is compared with
  the level the new total gives, inside the transaction that changed the total: whichever
  transaction crosses a level boundary is the only one to see it. Achievement progress rises
  through an upsert guarded by "was lower", so only one transaction sees an unlock.
* **One shared message cooldown.** Every bot sees the same chat message. Unless Redis already
  picked one bot for it, a message award is accepted only if the member's
  ``message_xp_ready_at`` in that guild is not after the message, checked and moved in one
  statement: only one of the bots gets to award it.

Each process computes nothing from values it read earlier: every total comes back from the
statement that changed it (``RETURNING``), or from a row this transaction holds locked.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVarTuple, cast

from sqlalchemy import ColumnElement, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import ReturningInsert

from botfleet.database.base import Backend, Database
from botfleet.database.models import Guild, LeaderboardEntry, User, UserAchievement, UserBotStats
from botfleet.database.models.gamification import (
    MemberXP,
    RankingVersion,
    XPAuditEntry,
    XPFlushBatch,
)
from botfleet.gamification.achievements import UNLOCKED, AchievementCatalogue, CatalogueCache
from botfleet.gamification.events import (
    AchievementUnlocked,
    FlushReport,
    LevelUp,
    RankingUpdate,
    XPAward,
    XPSource,
)
from botfleet.gamification.levels import FIRST_LEVEL, LevelCurve
from botfleet.gamification.periods import ALL_TIME_START, Period, expired_before, period_start

MAX_XP: Final = 2**31 - 1
"""XP totals and counters are 32-bit integers in the schema: they stop here instead of failing."""

BATCH_RETENTION: Final = timedelta(days=7)
"""How long a saved batch id is remembered; retries happen within seconds or minutes."""

XP_CATEGORY: Final = "xp"

Ts = TypeVarTuple("Ts")

Upsert = postgresql.Insert | sqlite.Insert
BoardKey = tuple[int | None, str, str, date]
"""guild_id (None: fleet-wide), category, period, period_start."""


class AdminAction(StrEnum):
    GIVE = "give"
    TAKE = "take"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    """The outcome of an administrator's change to a member's XP in a guild."""

    guild_id: int
    user_id: int
    action: AdminAction
    amount: int
    xp_before: int
    xp_after: int
    level_before: int
    level_after: int
    rankings: tuple[RankingUpdate, ...]
    """The leaderboard values the change set (to write into Redis as they are)."""
    removed_boards: tuple[BoardKey, ...]
    """Boards the member left (a reset), to remove them from in Redis."""
    version: int
    """The member's ranking version after the change (see :class:`RankingVersion`)."""


@dataclass(slots=True)
class _Member:
    """A ``users`` row this transaction holds locked, as it stands now."""

    total_xp: int
    level: int
    premium_tier: int


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a member's latest award of the batch came from, for announcements."""

    guild_id: int | None
    channel_id: int | None
    bot_name: str | None
    source: XPSource | None = None


def _origin_of(award: XPAward) -> _Origin:
    return _Origin(award.guild_id, award.channel_id, award.bot_name, award.source)


def _keeps_origin(current: _Origin | None, award: XPAward) -> bool:
    """A game's result stays the origin over later chat of the batch: it names its bot."""
    return (
        current is not None
        and current.source is XPSource.GAME
        and award.source is not XPSource.GAME
    )


@dataclass(slots=True)
class _Outcome:
    level_ups: dict[tuple[int, int | None], LevelUp] = field(default_factory=dict)
    unlocks: list[AchievementUnlocked] = field(default_factory=list)
    rankings: dict[tuple[BoardKey, int], int] = field(default_factory=dict)

    def level_up(self, event: LevelUp) -> None:
        """Record a level-up; two in one transaction (a reward's XP) make one event."""
        key = (event.user_id, event.guild_id)
        earlier = self.level_ups.get(key)
        if earlier is not None:
            event = replace(event, old_level=earlier.old_level)
        self.level_ups[key] = event


def _capped_sum(
    current: InstrumentedAttribute[int], delta: ColumnElement[int]
) -> ColumnElement[int]:
    """``current + delta`` for a non-negative delta, stopping at MAX_XP instead of overflowing."""
    return case((current > MAX_XP - delta, MAX_XP), else_=current + delta)


def _later(
    current: InstrumentedAttribute[datetime | None], proposed: ColumnElement[datetime]
) -> ColumnElement[datetime | None]:
    return case((or_(current.is_(None), current < proposed), proposed), else_=current)


def boosted_amount(amount: int, bonus_percent: int) -> int:
    """``amount`` with a premium bonus in percent, rounded half up."""
    return (amount * (100 + bonus_percent) + 50) // 100


def board_keys(guild_id: int | None, when: datetime) -> Iterator[tuple[int | None, str, date]]:
    """The (scope, period, period start) of every board an event at ``when`` counts on."""
    scopes = (guild_id, None) if guild_id is not None else (None,)
    for scope in scopes:
        for period in Period:
            yield scope, period.value, period_start(period, when)


class XPStore:
    """Applies batches of awards, administrators' changes and explicit unlocks to the database."""

    def __init__(
        self,
        database: Database,
        catalogue: CatalogueCache,
        *,
        curve: LevelCurve,
        premium_bonus: Mapping[int, int],
    ) -> None:
        self.database = database
        self.catalogue = catalogue
        self.curve = curve
        self.premium_bonus = dict(premium_bonus)

    @staticmethod
    def new_batch_id() -> str:
        return uuid.uuid4().hex

    async def save(self, batch_id: str, awards: Sequence[XPAward]) -> FlushReport:
        """Apply ``awards`` in one transaction, unless batch ``batch_id`` was applied before."""
        catalogue = await self.catalogue.get()
        async with self.database.session() as session:
            transaction = _Transaction(session, self, catalogue, datetime.now(UTC))
            if not await transaction.claim_batch(batch_id):
                return FlushReport(batch_id, len(awards), 0, already_saved=True)
            saved = await transaction.apply_awards(awards)
            versions = await transaction.bump_ranking_versions()
            await session.commit()
        outcome = transaction.outcome
        return FlushReport(
            batch_id=batch_id,
            awards=len(awards),
            saved=saved,
            level_ups=tuple(outcome.level_ups.values()),
            unlocks=tuple(outcome.unlocks),
            rankings=_ranking_updates(outcome.rankings, versions),
        )

    async def grant_achievement(
        self,
        user_id: int,
        achievement_id: int,
        *,
        guild_id: int | None,
        channel_id: int | None,
        bot_name: str | None,
    ) -> FlushReport:
        """Unlock one achievement now (with its reward) unless the member already has it."""
        catalogue = await self.catalogue.get()
        origin = _Origin(guild_id, channel_id, bot_name)
        async with self.database.session() as session:
            transaction = _Transaction(session, self, catalogue, datetime.now(UTC))
            await transaction.lock_users({user_id: None})
            rewards = await transaction.raise_progress(
                {user_id: {achievement_id: UNLOCKED}}, {user_id: origin}
            )
            await transaction.grant_rewards(rewards, {user_id: origin})
            versions = await transaction.bump_ranking_versions()
            await session.commit()
        outcome = transaction.outcome
        return FlushReport(
            batch_id="",
            awards=0,
            saved=0,
            level_ups=tuple(outcome.level_ups.values()),
            unlocks=tuple(outcome.unlocks),
            rankings=_ranking_updates(outcome.rankings, versions),
        )

    async def adjust_member_xp(
        self,
        guild_id: int,
        user_id: int,
        action: AdminAction,
        amount: int,
        *,
        actor_id: int,
        reason: str | None,
    ) -> AdjustmentResult:
        """Give, take or reset a member's XP in one guild and write the audit row, atomically.

        Only the guild's XP changes: the fleet-wide total is what members earned everywhere,
        and one guild's administrators do not get to rewrite it. The all-time XP board of the
        guild follows; the daily, weekly and monthly boards keep counting what was earned.
        """
        now = datetime.now(UTC)
        catalogue = await self.catalogue.get()
        async with self.database.session() as session:
            transaction = _Transaction(session, self, catalogue, now)
            await transaction.lock_users({user_id: None})
            before, level_before = await transaction.lock_member(guild_id, user_id)
            if action is AdminAction.GIVE:
                after = min(MAX_XP, before + amount)
            elif action is AdminAction.TAKE:
                after = max(0, before - amount)
            else:
                after = 0
            level_after = self.curve.level_for_xp(after)
            await session.execute(
                update(MemberXP)
                .where(MemberXP.guild_id == guild_id, MemberXP.user_id == user_id)
                .values(xp=after, level=level_after)
            )
            version = (await transaction.bump_ranking_versions({user_id}))[user_id]
            removed: tuple[BoardKey, ...] = ()
            rankings: tuple[RankingUpdate, ...] = ()
            if action is AdminAction.RESET:
                removed = await transaction.remove_from_xp_boards(guild_id, user_id)
            else:
                rankings = (await transaction.set_all_time_xp(guild_id, user_id, after, version),)
            session.add(
                XPAuditEntry(
                    guild_id=guild_id,
                    user_id=user_id,
                    actor_id=actor_id,
                    action=action.value,
                    amount=amount,
                    xp_before=before,
                    xp_after=after,
                    level_before=level_before,
                    level_after=level_after,
                    reason=reason,
                    created_at=now,
                )
            )
            await session.commit()
        return AdjustmentResult(
            guild_id=guild_id,
            user_id=user_id,
            action=action,
            amount=amount,
            xp_before=before,
            xp_after=after,
            level_before=level_before,
            level_after=level_after,
            rankings=rankings,
            removed_boards=removed,
            version=version,
        )

    async def prune(self, now: datetime) -> int:
        """Forget old batch ids and leaderboard rows past their retention; return rows removed."""
        removed = 0
        async with self.database.session() as session:
            statements = [
                delete(XPFlushBatch).where(XPFlushBatch.applied_at < now - BATCH_RETENTION)
            ]
            for period in (Period.DAILY, Period.WEEKLY, Period.MONTHLY):
                cutoff = expired_before(period, now)
                if cutoff is not None:
                    statements.append(
                        delete(LeaderboardEntry).where(
                            LeaderboardEntry.period == period.value,
                            LeaderboardEntry.period_start < cutoff,
                        )
                    )
            for statement in statements:
                result = await session.execute(
                    statement.execution_options(synchronize_session=False)
                )
                removed += cast("CursorResult[Any]", result).rowcount
            await session.commit()
        return removed

    def bonus_percent(self, user_tier: int, guild_tier: int) -> int:
        """The premium bonus of a member in a guild: the larger of the two tiers' bonuses."""
        return max(self.premium_bonus.get(user_tier, 0), self.premium_bonus.get(guild_tier, 0))


def _ranking_updates(
    rankings: Mapping[tuple[BoardKey, int], int], versions: Mapping[int, int]
) -> tuple[RankingUpdate, ...]:
    return tuple(
        RankingUpdate(
            guild_id, category, period, start.isoformat(), user_id, value, versions[user_id]
        )
        for ((guild_id, category, period, start), user_id), value in rankings.items()
    )


class _Transaction:
    """The statements of one transaction; every method runs inside the caller's session."""

    def __init__(
        self, session: AsyncSession, store: XPStore, catalogue: AchievementCatalogue, now: datetime
    ) -> None:
        self.session = session
        self.store = store
        self.backend: Backend = store.database.backend
        self.catalogue = catalogue
        self.now = now
        self.members: dict[int, _Member] = {}
        self.outcome = _Outcome()

    async def _many(
        self, statement: ReturningInsert[*Ts], rows: list[dict[str, Any]]
    ) -> Sequence[Row[*Ts]]:
        """One statement for many rows, returning what it returns.

        Executed as "insertmanyvalues": SQLAlchemy compiles the statement once and sends the
        rows as multi-row VALUES pages, in the order given (which keeps the lock order).
        """
        if not rows:
            return []
        return (await self.session.execute(statement, rows)).all()

    async def _many_without_rows(self, statement: Upsert, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(statement, rows)

    async def claim_batch(self, batch_id: str) -> bool:
        """Record the batch id (the transaction's first write); False if it was applied before."""
        statement = (
            self.store.database.upsert(XPFlushBatch)
            .values(id=batch_id, applied_at=self.now)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(XPFlushBatch.id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def apply_awards(self, awards: Sequence[XPAward]) -> int:
        """Everything a batch does; returns how many awards earned XP."""
        names: dict[int, str | None] = {}
        origins: dict[int, _Origin] = {}
        member_origins: dict[tuple[int, int], _Origin] = {}
        for award in sorted(awards, key=lambda item: item.occurred_at):
            if award.username or award.user_id not in names:
                names[award.user_id] = award.username
            origin = _origin_of(award)
            if not _keeps_origin(origins.get(award.user_id), award):
                origins[award.user_id] = origin
            if award.guild_id is not None and not _keeps_origin(
                member_origins.get((award.guild_id, award.user_id)), award
            ):
                member_origins[award.guild_id, award.user_id] = origin
        await self.lock_users(names)
        guild_tiers = await self._guild_premium_tiers(
            {award.guild_id for award in awards if award.guild_id is not None}
        )
        accepted = await self._pass_cooldowns(awards)

        member_deltas: dict[tuple[int, int], int] = defaultdict(int)
        user_deltas: dict[int, int] = defaultdict(int)
        counters: dict[tuple[BoardKey, int], int] = defaultdict(int)
        gauges: dict[int, dict[str, int]] = defaultdict(dict)
        for award in accepted:
            amount = award.amount
            if award.boosted and amount > 0:
                tier = guild_tiers.get(award.guild_id, 0) if award.guild_id is not None else 0
                bonus = self.store.bonus_percent(self.members[award.user_id].premium_tier, tier)
                amount = boosted_amount(amount, bonus)
            user_deltas[award.user_id] += amount
            if award.guild_id is not None:
                member_deltas[award.guild_id, award.user_id] += amount
            for category, value in ((XP_CATEGORY, amount), *award.counters.items()):
                if value > 0:
                    for scope, period, start in board_keys(award.guild_id, award.occurred_at):
                        counters[(scope, category, period, start), award.user_id] += value
            user_gauges = gauges[award.user_id]
            for metric, value in award.gauges.items():
                user_gauges[metric] = max(value, user_gauges.get(metric, value))

        await self._add_member_xp(member_deltas, member_origins)
        totals = await self._add_counters(counters)
        await self._add_user_xp(user_deltas, origins)
        await self._touch_bot_stats(accepted)

        metrics: dict[int, dict[str, int]] = {}
        for user_id in {award.user_id for award in accepted}:
            member = self.members[user_id]
            metrics[user_id] = {
                **totals.get(user_id, {}),
                **gauges.get(user_id, {}),
                "level": member.level,
                XP_CATEGORY: member.total_xp,
            }
        rewards = await self.raise_progress(
            {user_id: self.catalogue.progress_for(values) for user_id, values in metrics.items()},
            origins,
        )
        await self.grant_rewards(rewards, origins)
        return len(accepted)

    async def lock_users(self, names: Mapping[int, str | None]) -> None:
        """Create missing ``users`` rows and lock every one, in id order; remember their state."""
        wanted = sorted(user_id for user_id in names if user_id not in self.members)
        statement = self.store.database.upsert(User)
        excluded = statement.excluded
        locking = statement.on_conflict_do_update(
            index_elements=["id"],
            # Always an update, even to the same name: that is what locks existing rows.
            set_={
                "username": case((excluded.username != "", excluded.username), else_=User.username)
            },
        ).returning(User.id, User.total_xp, User.level, User.is_premium, User.premium_tier)
        rows = [{"id": user_id, "username": names[user_id] or ""} for user_id in wanted]
        for user_id, total_xp, level, is_premium, tier in await self._many(locking, rows):
            self.members[user_id] = _Member(total_xp, level, tier if is_premium else 0)

    async def lock_member(self, guild_id: int, user_id: int) -> tuple[int, int]:
        """Create or lock one member's guild row; return its XP and level."""
        statement = self.store.database.upsert(MemberXP).values(
            guild_id=guild_id, user_id=user_id, xp=0, level=FIRST_LEVEL
        )
        locked = statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id"], set_={"xp": MemberXP.xp}
        ).returning(MemberXP.xp, MemberXP.level)
        xp, level = (await self.session.execute(locked)).one()
        return int(xp), int(level)

    async def _guild_premium_tiers(self, guild_ids: set[int]) -> dict[int, int]:
        if not guild_ids:
            return {}
        statement = select(Guild.id, Guild.premium_tier).where(
            Guild.id.in_(sorted(guild_ids)), Guild.is_premium.is_(True)
        )
        return {row[0]: row[1] for row in await self.session.execute(statement)}

    async def _pass_cooldowns(self, awards: Sequence[XPAward]) -> list[XPAward]:
        """The awards that earn XP: all but message awards inside the shared cooldown.

        Messages Redis settled for the fleet are in. The others are checked against the
        member's cooldown in the database, oldest first. Both move the cooldown's end.
        """
        accepted: list[XPAward] = []
        messages: list[XPAward] = []
        for award in awards:
            has_cooldown = award.cooldown_seconds is not None and award.guild_id is not None
            (messages if has_cooldown else accepted).append(award)
        messages.sort(key=lambda item: item.occurred_at)
        settled = [award for award in messages if award.cooldown_settled]
        accepted.extend(settled)
        await self._extend_cooldowns(settled)
        queues: dict[tuple[int, int], list[XPAward]] = defaultdict(list)
        for award in messages:
            if not award.cooldown_settled and award.guild_id is not None:
                queues[award.guild_id, award.user_id].append(award)
        # One award per member per statement: an upsert may not touch a row twice.
        for round_number in range(max((len(queue) for queue in queues.values()), default=0)):
            candidates = {
                member: queue[round_number]
                for member, queue in sorted(queues.items())
                if len(queue) > round_number
            }
            winners = await self._claim_cooldowns(list(candidates.values()))
            accepted.extend(award for member, award in candidates.items() if member in winners)
        return accepted

    @staticmethod
    def _cooldown_rows(awards: Iterable[XPAward]) -> list[dict[str, Any]]:
        return [
            {
                "guild_id": award.guild_id,
                "user_id": award.user_id,
                "xp": 0,
                "level": FIRST_LEVEL,
                "last_message_xp_at": award.occurred_at,
                "message_xp_ready_at": award.occurred_at
                + timedelta(seconds=award.cooldown_seconds or 0),
            }
            for award in awards
        ]

    async def _claim_cooldowns(self, awards: Sequence[XPAward]) -> set[tuple[int, int]]:
        """Start the cooldown of each award's member where it had ended; return who got it."""
        statement = self.store.database.upsert(MemberXP)
        excluded = statement.excluded
        guarded = statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={
                "last_message_xp_at": excluded.last_message_xp_at,
                "message_xp_ready_at": excluded.message_xp_ready_at,
            },
            where=or_(
                MemberXP.message_xp_ready_at.is_(None),
                MemberXP.message_xp_ready_at <= excluded.last_message_xp_at,
            ),
        ).returning(MemberXP.guild_id, MemberXP.user_id)
        rows = await self._many(guarded, self._cooldown_rows(awards))
        return {(row[0], row[1]) for row in rows}

    async def _extend_cooldowns(self, awards: Sequence[XPAward]) -> None:
        """Move members' cooldowns to the latest of these already-decided messages."""
        latest: dict[tuple[int, int], XPAward] = {}
        for award in awards:
            if award.guild_id is not None:
                latest[award.guild_id, award.user_id] = award  # sorted oldest first
        statement = self.store.database.upsert(MemberXP)
        excluded = statement.excluded
        extending = statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={
                "last_message_xp_at": _later(
                    MemberXP.last_message_xp_at, excluded.last_message_xp_at
                ),
                "message_xp_ready_at": _later(
                    MemberXP.message_xp_ready_at, excluded.message_xp_ready_at
                ),
            },
        )
        rows = self._cooldown_rows(latest[member] for member in sorted(latest))
        await self._many_without_rows(extending, rows)

    async def _add_member_xp(
        self, deltas: Mapping[tuple[int, int], int], origins: Mapping[tuple[int, int], _Origin]
    ) -> None:
        changed_levels: list[dict[str, int]] = []
        statement = self.store.database.upsert(MemberXP)
        added = statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={"xp": _capped_sum(MemberXP.xp, statement.excluded.xp)},
        ).returning(MemberXP.guild_id, MemberXP.user_id, MemberXP.xp, MemberXP.level)
        rows = [
            {"guild_id": guild_id, "user_id": user_id, "xp": delta, "level": FIRST_LEVEL}
            for (guild_id, user_id), delta in sorted(deltas.items())
            if delta > 0
        ]
        for guild_id, user_id, xp, stored_level in await self._many(added, rows):
            level = self.store.curve.level_for_xp(xp)
            if level == stored_level:
                continue
            changed_levels.append({"guild_id": guild_id, "user_id": user_id, "level": level})
            if level > stored_level:
                origin = origins[guild_id, user_id]
                self.outcome.level_up(
                    LevelUp(
                        user_id=user_id,
                        guild_id=guild_id,
                        old_level=stored_level,
                        new_level=level,
                        total_xp=xp,
                        channel_id=origin.channel_id,
                        bot_name=origin.bot_name,
                        source=origin.source,
                    )
                )
        if changed_levels:
            await self.session.execute(update(MemberXP), changed_levels)

    async def _add_counters(
        self, counters: Mapping[tuple[BoardKey, int], int]
    ) -> dict[int, dict[str, int]]:
        """Add to leaderboard rows; return each member's fleet-wide all-time value per category."""
        totals: dict[int, dict[str, int]] = defaultdict(dict)
        guild_rows = sorted(
            (user_id, board, value)
            for (board, user_id), value in counters.items()
            if board[0] is not None
        )
        global_rows = sorted(
            (user_id, board, value)
            for (board, user_id), value in counters.items()
            if board[0] is None
        )
        for rows, fleet_wide in ((guild_rows, False), (global_rows, True)):
            parameters = [
                {
                    "user_id": user_id,
                    "guild_id": guild_id,
                    "category": category,
                    "period": period,
                    "period_start": start,
                    "value": min(value, MAX_XP),
                }
                for user_id, (guild_id, category, period, start), value in rows
            ]
            for row in await self._many(self._counter_upsert(fleet_wide), parameters):
                user_id, guild_id, category, period, start, value = row
                self.outcome.rankings[(guild_id, category, period, start), user_id] = value
                if guild_id is None and period == Period.ALL_TIME.value:
                    totals[user_id][category] = value
        return totals

    def _counter_upsert(
        self, fleet_wide: bool
    ) -> ReturningInsert[int, int | None, str, str, date, int]:
        statement = self.store.database.upsert(LeaderboardEntry)
        target = ["user_id", "category", "period", "period_start"]
        value = _capped_sum(LeaderboardEntry.value, statement.excluded.value)
        if fleet_wide:
            upsert = statement.on_conflict_do_update(
                index_elements=target,
                index_where=LeaderboardEntry.guild_id.is_(None),
                set_={"value": value},
            )
        else:
            upsert = statement.on_conflict_do_update(
                index_elements=["user_id", "guild_id", *target[1:]], set_={"value": value}
            )
        return upsert.returning(
            LeaderboardEntry.user_id,
            LeaderboardEntry.guild_id,
            LeaderboardEntry.category,
            LeaderboardEntry.period,
            LeaderboardEntry.period_start,
            LeaderboardEntry.value,
        )

    async def _add_user_xp(self, deltas: Mapping[int, int], origins: Mapping[int, _Origin]) -> None:
        """Add fleet-wide XP to locked ``users`` rows and detect fleet-wide level-ups."""
        changes: list[dict[str, int]] = []
        for user_id, delta in sorted(deltas.items()):
            if delta <= 0:
                continue
            member = self.members[user_id]
            total = min(MAX_XP, member.total_xp + delta)
            level = self.store.curve.level_for_xp(total)
            if level > member.level:
                origin = origins[user_id]
                self.outcome.level_up(
                    LevelUp(
                        user_id=user_id,
                        guild_id=None,
                        old_level=member.level,
                        new_level=level,
                        total_xp=total,
                        channel_id=origin.channel_id,
                        bot_name=origin.bot_name,
                        source=origin.source,
                    )
                )
            member.total_xp, member.level = total, level
            changes.append({"id": user_id, "total_xp": total, "level": level})
        if changes:
            await self.session.execute(update(User), changes)

    async def _touch_bot_stats(self, awards: Sequence[XPAward]) -> None:
        """Count commands per bot and note when each member was last active with each bot."""
        activity: dict[tuple[int, str], tuple[int, datetime]] = {}
        for award in awards:
            if award.bot_name is None:
                continue
            key = (award.user_id, award.bot_name)
            commands, last = activity.get(key, (0, award.occurred_at))
            activity[key] = (
                commands + award.counters.get("commands", 0),
                max(last, award.occurred_at),
            )
        statement = self.store.database.upsert(UserBotStats)
        excluded = statement.excluded
        counting = statement.on_conflict_do_update(
            index_elements=["user_id", "bot_name"],
            set_={
                "command_count": UserBotStats.command_count + excluded.command_count,
                "last_active": _later(UserBotStats.last_active, excluded.last_active),
            },
        )
        rows = [
            {
                "user_id": user_id,
                "bot_name": bot_name,
                "command_count": commands,
                "last_active": last,
                "stats": {},
            }
            for (user_id, bot_name), (commands, last) in sorted(activity.items())
        ]
        await self._many_without_rows(counting, rows)

    async def raise_progress(
        self, progress: Mapping[int, Mapping[int, int]], origins: Mapping[int, _Origin]
    ) -> dict[int, int]:
        """Raise achievement progress where it grew; return the reward XP of new unlocks."""
        rows = sorted(
            (user_id, achievement_id, percent)
            for user_id, reached in progress.items()
            for achievement_id, percent in reached.items()
            if percent > 0
        )
        rewards: dict[int, int] = defaultdict(int)
        statement = self.store.database.upsert(UserAchievement)
        excluded = statement.excluded
        raised = statement.on_conflict_do_update(
            index_elements=["user_id", "achievement_id"],
            set_={
                "progress": excluded.progress,
                "unlocked_at": case(
                    (excluded.progress >= UNLOCKED, excluded.unlocked_at),
                    else_=UserAchievement.unlocked_at,
                ),
            },
            where=UserAchievement.progress < excluded.progress,
        ).returning(
            UserAchievement.user_id, UserAchievement.achievement_id, UserAchievement.progress
        )
        parameters = [
            {
                "user_id": user_id,
                "achievement_id": achievement_id,
                "progress": percent,
                "unlocked_at": self.now,
            }
            for user_id, achievement_id, percent in rows
        ]
        for user_id, achievement_id, percent in await self._many(raised, parameters):
            if percent < UNLOCKED:
                continue
            definition = self.catalogue.by_id[achievement_id]
            origin = origins.get(user_id, _Origin(None, None, None))
            self.outcome.unlocks.append(
                AchievementUnlocked(
                    user_id=user_id,
                    achievement_id=achievement_id,
                    name=definition.name,
                    description=definition.description,
                    rarity=definition.rarity,
                    points=definition.points,
                    reward_xp=definition.reward_xp,
                    unlocked_at=self.now,
                    guild_id=origin.guild_id,
                    channel_id=origin.channel_id,
                    bot_name=origin.bot_name,
                    source=origin.source,
                )
            )
            if definition.reward_xp > 0:
                rewards[user_id] += definition.reward_xp
        return rewards

    async def grant_rewards(
        self, rewards: Mapping[int, int], origins: Mapping[int, _Origin]
    ) -> None:
        """Add unlock rewards to fleet-wide XP, until no reward unlocks anything more.

        A reward can lift a member a level, which can unlock a level achievement with its own
        reward; each round unlocks at least one more achievement, so this ends.
        """
        pending = dict(rewards)
        while pending:
            counters: dict[tuple[BoardKey, int], int] = {}
            for user_id, amount in pending.items():
                for scope, period, start in board_keys(None, self.now):
                    counters[(scope, XP_CATEGORY, period, start), user_id] = amount
            await self._add_counters(counters)
            await self._add_user_xp(pending, origins)
            progress = {
                user_id: self.catalogue.progress_for(
                    {
                        "level": self.members[user_id].level,
                        XP_CATEGORY: self.members[user_id].total_xp,
                    }
                )
                for user_id in pending
            }
            pending = await self.raise_progress(progress, origins)

    async def bump_ranking_versions(self, user_ids: Iterable[int] | None = None) -> dict[int, int]:
        """Raise the ranking version of these members (by default, those whose leaderboard
        values this transaction changed) and return the new versions.

        Their ``users`` rows are already locked, so versions rise in commit order.
        """
        if user_ids is None:
            user_ids = {user_id for _, user_id in self.outcome.rankings}
        statement = self.store.database.upsert(RankingVersion)
        bumped = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"version": RankingVersion.version + 1},
        ).returning(RankingVersion.user_id, RankingVersion.version)
        rows = [{"user_id": user_id, "version": 1} for user_id in sorted(user_ids)]
        return {user_id: version for user_id, version in await self._many(bumped, rows)}

    async def set_all_time_xp(
        self, guild_id: int, user_id: int, xp: int, version: int
    ) -> RankingUpdate:
        """Set a member's all-time XP row of a guild to ``xp`` (an administrator's change)."""
        statement = self.store.database.upsert(LeaderboardEntry).values(
            user_id=user_id,
            guild_id=guild_id,
            category=XP_CATEGORY,
            period=Period.ALL_TIME.value,
            period_start=ALL_TIME_START,
            value=xp,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "guild_id", "category", "period", "period_start"],
                set_={"value": statement.excluded.value},
            )
        )
        return RankingUpdate(
            guild_id,
            XP_CATEGORY,
            Period.ALL_TIME.value,
            ALL_TIME_START.isoformat(),
            user_id,
            xp,
            version,
        )

    async def remove_from_xp_boards(self, guild_id: int, user_id: int) -> tuple[BoardKey, ...]:
        """Delete a member's XP rows of every period in a guild; return the boards they left."""
        statement = (
            delete(LeaderboardEntry)
            .where(
                LeaderboardEntry.guild_id == guild_id,
                LeaderboardEntry.user_id == user_id,
                LeaderboardEntry.category == XP_CATEGORY,
            )
            .returning(LeaderboardEntry.period, LeaderboardEntry.period_start)
            .execution_options(synchronize_session=False)
        )
        rows = (await self.session.execute(statement)).all()
        return tuple((guild_id, XP_CATEGORY, period, start) for period, start in rows)
