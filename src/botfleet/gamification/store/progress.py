"""Achievement progress and unlock rewards, raised inside the transaction that earned them.

Progress rises through an upsert guarded by "was lower", so only one transaction sees an unlock;
an unlock's reward XP can lift a level, which can unlock more, until nothing more unlocks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import case

from botfleet.database.models import UserAchievement
from botfleet.gamification.achievements import UNLOCKED
from botfleet.gamification.events import AchievementUnlocked
from botfleet.gamification.store.base import XP_CATEGORY, BoardKey, Origin, Transaction, board_keys


class ProgressTransaction(Transaction):
    """Achievement progress and the reward XP of unlocks."""

    async def raise_progress(
        self, progress: Mapping[int, Mapping[int, int]], origins: Mapping[int, Origin]
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
        for user_id, achievement_id, percent in await self.many(raised, parameters):
            if percent < UNLOCKED:
                continue
            definition = self.catalogue.by_id[achievement_id]
            origin = origins.get(user_id, Origin(None, None, None))
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
        self, rewards: Mapping[int, int], origins: Mapping[int, Origin]
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
            await self.add_counters(counters)
            await self.add_user_xp(pending, origins)
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
