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

The statements live by concern, each a transaction class: :mod:`.awards` (a batch of awards),
:mod:`.progress` (achievement progress and unlock rewards) and :mod:`.admin` (administrators'
changes), on the shared :mod:`.base` (locking members, boards, fleet-wide XP).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import delete, update
from sqlalchemy.engine import CursorResult

from botfleet.database.base import Database
from botfleet.database.models import LeaderboardEntry
from botfleet.database.models.gamification import MemberXP, XPAuditEntry, XPFlushBatch
from botfleet.gamification.achievements import UNLOCKED, CatalogueCache
from botfleet.gamification.events import FlushReport, RankingUpdate, XPAward
from botfleet.gamification.levels import LevelCurve
from botfleet.gamification.periods import Period, expired_before
from botfleet.gamification.rank_buckets import fold_rank_buckets
from botfleet.gamification.store.admin import AdjustmentResult, AdminAction, AdminTransaction
from botfleet.gamification.store.awards import BATCH_RETENTION, AwardTransaction
from botfleet.gamification.store.base import MAX_XP, BoardKey, Origin, ranking_updates
from botfleet.gamification.store.progress import ProgressTransaction

__all__ = ["AdjustmentResult", "AdminAction", "XPStore"]


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
        self._folded_up_to = 0

    @staticmethod
    def new_batch_id() -> str:
        return uuid.uuid4().hex

    async def save(self, batch_id: str, awards: Sequence[XPAward]) -> FlushReport:
        """Apply ``awards`` in one transaction, unless batch ``batch_id`` was applied before."""
        catalogue = await self.catalogue.get()
        async with self.database.session() as session:
            transaction = AwardTransaction(session, self, catalogue, datetime.now(UTC))
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
            rankings=ranking_updates(outcome.rankings, versions),
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
        origin = Origin(guild_id, channel_id, bot_name)
        async with self.database.session() as session:
            transaction = ProgressTransaction(session, self, catalogue, datetime.now(UTC))
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
            rankings=ranking_updates(outcome.rankings, versions),
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
            transaction = AdminTransaction(session, self, catalogue, now)
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

    async def fold_rank_buckets(self) -> None:
        """Fold the rank bucket counts changed since the last fold (the first: all of them)."""
        self._folded_up_to = await fold_rank_buckets(self.database, self._folded_up_to)

    def bonus_percent(self, user_tier: int, guild_tier: int) -> int:
        """The premium bonus of a member in a guild: the larger of the two tiers' bonuses."""
        return max(self.premium_bonus.get(user_tier, 0), self.premium_bonus.get(guild_tier, 0))
