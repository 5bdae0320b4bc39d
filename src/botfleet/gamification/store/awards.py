"""Applying a batch of awards: the shared message cooldown, guild and fleet-wide XP, boards.

One batch is one transaction, claimed by its id first so a retry after a lost commit does
nothing (see :mod:`botfleet.gamification.store`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import or_, update

from botfleet.database.models import UserBotStats
from botfleet.database.models.gamification import MemberXP, XPFlushBatch
from botfleet.gamification.events import LevelUp, XPAward
from botfleet.gamification.levels import FIRST_LEVEL
from botfleet.gamification.store.base import (
    XP_CATEGORY,
    BoardKey,
    Origin,
    board_keys,
    boosted_amount,
    capped_sum,
    keeps_origin,
    later,
    origin_of,
)
from botfleet.gamification.store.progress import ProgressTransaction
from botfleet.services.premium.rules import Scope
from botfleet.services.premium.service import active_tiers

BATCH_RETENTION: Final = timedelta(days=7)
"""How long a saved batch id is remembered; retries happen within seconds or minutes."""


class AwardTransaction(ProgressTransaction):
    """Applying a batch of awards: cooldowns, guild and fleet-wide XP, boards, bot stats."""

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
        origins: dict[int, Origin] = {}
        member_origins: dict[tuple[int, int], Origin] = {}
        for award in sorted(awards, key=lambda item: item.occurred_at):
            if award.username or award.user_id not in names:
                names[award.user_id] = award.username
            origin = origin_of(award)
            if not keeps_origin(origins.get(award.user_id), award):
                origins[award.user_id] = origin
            if award.guild_id is not None and not keeps_origin(
                member_origins.get((award.guild_id, award.user_id)), award
            ):
                member_origins[award.guild_id, award.user_id] = origin
        await self.lock_users(names)
        guild_tiers = await active_tiers(
            self.session,
            Scope.GUILD,
            {award.guild_id for award in awards if award.guild_id is not None},
            self.now,
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
        totals = await self.add_counters(counters)
        await self.add_user_xp(user_deltas, origins)
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

    async def _pass_cooldowns(self, awards: Sequence[XPAward]) -> list[XPAward]:
        """The awards that earn XP: all but message awards inside the shared cooldown, which is
        checked in the database, oldest first, and moved by each message that passes."""
        accepted: list[XPAward] = []
        queues: dict[tuple[int, int], list[XPAward]] = defaultdict(list)
        for award in awards:
            if award.cooldown_seconds is not None and award.guild_id is not None:
                queues[award.guild_id, award.user_id].append(award)
            else:
                accepted.append(award)
        for queue in queues.values():
            queue.sort(key=lambda item: item.occurred_at)
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
        rows = await self.many(guarded, self._cooldown_rows(awards))
        return {(row[0], row[1]) for row in rows}

    async def _add_member_xp(
        self, deltas: Mapping[tuple[int, int], int], origins: Mapping[tuple[int, int], Origin]
    ) -> None:
        changed_levels: list[dict[str, int]] = []
        statement = self.store.database.upsert(MemberXP)
        added = statement.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={"xp": capped_sum(MemberXP.xp, statement.excluded.xp)},
        ).returning(MemberXP.guild_id, MemberXP.user_id, MemberXP.xp, MemberXP.level)
        rows = [
            {"guild_id": guild_id, "user_id": user_id, "xp": delta, "level": FIRST_LEVEL}
            for (guild_id, user_id), delta in sorted(deltas.items())
            if delta > 0
        ]
        for guild_id, user_id, xp, stored_level in await self.many(added, rows):
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
                "last_active": later(UserBotStats.last_active, excluded.last_active),
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
        await self.many_without_rows(counting, rows)
