"""Administrators' changes to a member's XP in one guild, audited in the same transaction.

Only the guild's XP changes: the fleet-wide total is what members earned everywhere, and one
guild's administrators do not get to rewrite it. The all-time XP board of the guild follows; the
daily, weekly and monthly boards keep counting what was earned.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete

from botfleet.database.models import LeaderboardEntry
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification.events import RankingUpdate
from botfleet.gamification.levels import FIRST_LEVEL
from botfleet.gamification.periods import ALL_TIME_START, Period
from botfleet.gamification.store.base import XP_CATEGORY, BoardKey, Transaction


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


class AdminTransaction(Transaction):
    """An administrator's change to one member's XP in a guild."""

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
