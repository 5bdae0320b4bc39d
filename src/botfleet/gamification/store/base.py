"""What every XP transaction shares: locked members, the boards, fleet-wide XP, versions.

The rules that keep saves exactly-once and deadlock-free are in :mod:`botfleet.gamification.store`;
this module holds the statements all of them use, starting with the ``users`` locks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVarTuple

from sqlalchemy import ColumnElement, case, or_, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import ReturningInsert

from botfleet.database.base import Backend
from botfleet.database.models import LeaderboardEntry, User
from botfleet.database.models.gamification import RankingVersion
from botfleet.gamification.achievements import AchievementCatalogue
from botfleet.gamification.events import (
    AchievementUnlocked,
    LevelUp,
    RankingUpdate,
    XPAward,
    XPSource,
)
from botfleet.gamification.periods import Period, period_start
from botfleet.services.premium.rules import Scope
from botfleet.services.premium.service import active_tiers

if TYPE_CHECKING:
    from botfleet.database.base import Upsert
    from botfleet.gamification.store import XPStore

MAX_XP: Final = 2**31 - 1
"""XP totals and counters are 32-bit integers in the schema: they stop here instead of failing."""

XP_CATEGORY: Final = "xp"

Ts = TypeVarTuple("Ts")

BoardKey = tuple[int | None, str, str, date]
"""guild_id (None: fleet-wide), category, period, period_start."""


@dataclass(slots=True)
class LockedMember:
    """A ``users`` row this transaction holds locked, as it stands now."""

    total_xp: int
    level: int
    premium_tier: int


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a member's latest award of the batch came from, for announcements."""

    guild_id: int | None
    channel_id: int | None
    bot_name: str | None
    source: XPSource | None = None


def origin_of(award: XPAward) -> Origin:
    return Origin(award.guild_id, award.channel_id, award.bot_name, award.source)


def keeps_origin(current: Origin | None, award: XPAward) -> bool:
    """A game's result stays the origin over later chat of the batch: it names its bot."""
    return (
        current is not None
        and current.source is XPSource.GAME
        and award.source is not XPSource.GAME
    )


@dataclass(slots=True)
class Outcome:
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


def capped_sum(
    current: InstrumentedAttribute[int], delta: ColumnElement[int]
) -> ColumnElement[int]:
    """``current + delta`` for a non-negative delta, stopping at MAX_XP instead of overflowing."""
    return case((current > MAX_XP - delta, MAX_XP), else_=current + delta)


def later(
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


def ranking_updates(
    rankings: Mapping[tuple[BoardKey, int], int], versions: Mapping[int, int]
) -> tuple[RankingUpdate, ...]:
    return tuple(
        RankingUpdate(
            guild_id, category, period, start.isoformat(), user_id, value, versions[user_id]
        )
        for ((guild_id, category, period, start), user_id), value in rankings.items()
    )


class Transaction:
    """The statements of one transaction; every method runs inside the caller's session."""

    def __init__(
        self, session: AsyncSession, store: XPStore, catalogue: AchievementCatalogue, now: datetime
    ) -> None:
        self.session = session
        self.store = store
        self.backend: Backend = store.database.backend
        self.catalogue = catalogue
        self.now = now
        self.members: dict[int, LockedMember] = {}
        self.outcome = Outcome()

    async def many(
        self, statement: ReturningInsert[*Ts], rows: list[dict[str, Any]]
    ) -> Sequence[Row[*Ts]]:
        """One statement for many rows, returning what it returns.

        Executed as "insertmanyvalues": SQLAlchemy compiles the statement once and sends the
        rows as multi-row VALUES pages, in the order given (which keeps the lock order).
        """
        if not rows:
            return []
        return (await self.session.execute(statement, rows)).all()

    async def many_without_rows(self, statement: Upsert, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(statement, rows)

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
        ).returning(User.id, User.total_xp, User.level)
        rows = [{"id": user_id, "username": names[user_id] or ""} for user_id in wanted]
        locked = await self.many(locking, rows)
        tiers = await active_tiers(self.session, Scope.USER, wanted, self.now)
        for user_id, total_xp, level in locked:
            self.members[user_id] = LockedMember(total_xp, level, tiers.get(user_id, 0))

    async def add_counters(
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
            for row in await self.many(self.counter_upsert(fleet_wide), parameters):
                user_id, guild_id, category, period, start, value = row
                self.outcome.rankings[(guild_id, category, period, start), user_id] = value
                if guild_id is None and period == Period.ALL_TIME.value:
                    totals[user_id][category] = value
        return totals

    def counter_upsert(
        self, fleet_wide: bool
    ) -> ReturningInsert[int, int | None, str, str, date, int]:
        statement = self.store.database.upsert(LeaderboardEntry)
        target = ["user_id", "category", "period", "period_start"]
        value = capped_sum(LeaderboardEntry.value, statement.excluded.value)
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

    async def add_user_xp(self, deltas: Mapping[int, int], origins: Mapping[int, Origin]) -> None:
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
        return {user_id: version for user_id, version in await self.many(bumped, rows)}
