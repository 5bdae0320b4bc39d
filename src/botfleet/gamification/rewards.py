"""Rewards: roles granted at levels and for achievements, as decisions the Discord layer applies.

The service never touches Discord. For a member's level and the roles they hold now, it says
which roles to add and which to remove (:class:`RoleChanges`); the extension applies them. The
same function serves a level-up, an administrator's XP change and a reset (which removes every
level reward, since the member is back at level 1), and a periodic re-sync of roles that someone
removed by hand.

In ``stack`` mode a member keeps every reward up to their level; in ``replace`` mode only the
roles of the highest reward level they reached. Achievement roles are only ever added.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, select

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database
from botfleet.database.models.gamification import AchievementRoleReward, LevelRoleReward
from botfleet.errors import UserError
from botfleet.gamification.achievements import CatalogueCache
from botfleet.gamification.levels import FIRST_LEVEL
from botfleet.gamification.options import RoleRewardMode

MAX_LEVEL_ROLES: Final = 50
MAX_REWARD_LEVEL: Final = 1000


class RewardConfigError(UserError):
    """A role reward that cannot be configured; the message says why."""


@dataclass(frozen=True, slots=True)
class LevelRole:
    level: int
    role_id: int


@dataclass(frozen=True, slots=True)
class RoleChanges:
    """Roles to give and to take away; empty when the member's roles are already right."""

    add: frozenset[int] = frozenset()
    remove: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


def plan_level_roles(
    rewards: Iterable[LevelRole],
    mode: RoleRewardMode,
    level: int,
    current_role_ids: Collection[int],
) -> RoleChanges:
    """The role changes that make a member at ``level`` hold exactly the rewards they earned."""
    rewards = list(rewards)
    earned = [reward for reward in rewards if reward.level <= level]
    if mode is RoleRewardMode.REPLACE and earned:
        top = max(reward.level for reward in earned)
        earned = [reward for reward in earned if reward.level == top]
    should_hold = {reward.role_id for reward in earned}
    current = set(current_role_ids)
    reward_roles = {reward.role_id for reward in rewards}
    return RoleChanges(
        add=frozenset(should_hold - current),
        remove=frozenset((reward_roles - should_hold) & current),
    )


class RewardService:
    """Level and achievement role rewards of each guild."""

    def __init__(
        self, database: Database, cache: CacheHierarchy, catalogue: CatalogueCache
    ) -> None:
        self._database = database
        self._cache = cache
        self._catalogue = catalogue

    @staticmethod
    def cache_key(guild_id: int) -> str:
        return f"{CacheKeys.guild_config(guild_id)}:role_rewards"

    async def level_roles(self, guild_id: int) -> list[LevelRole]:
        """A guild's level rewards, lowest level first."""
        levels, _ = await self._load(guild_id)
        return levels

    async def achievement_roles(self, guild_id: int) -> dict[int, int]:
        """A guild's achievement rewards: achievement id → role id."""
        _, achievements = await self._load(guild_id)
        return achievements

    async def set_level_role(self, guild_id: int, level: int, role_id: int) -> list[LevelRole]:
        """Grant ``role_id`` at ``level`` (moving it if it was granted at another level)."""
        if not FIRST_LEVEL < level <= MAX_REWARD_LEVEL:
            raise RewardConfigError(
                f"Reward levels go from {FIRST_LEVEL + 1} to {MAX_REWARD_LEVEL}: every member "
                f"starts at level {FIRST_LEVEL}."
            )
        async with self._database.session() as session:
            row = await session.get(LevelRoleReward, (guild_id, role_id))
            if row is None:
                existing = await session.scalar(
                    select(func.count())
                    .select_from(LevelRoleReward)
                    .where(LevelRoleReward.guild_id == guild_id)
                )
                if (existing or 0) >= MAX_LEVEL_ROLES:
                    raise RewardConfigError(
                        f"A server can have at most {MAX_LEVEL_ROLES} level role rewards."
                    )
                session.add(LevelRoleReward(guild_id=guild_id, role_id=role_id, level=level))
            else:
                row.level = level
            await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return await self.level_roles(guild_id)

    async def remove_level_role(self, guild_id: int, role_id: int) -> bool:
        """Stop granting ``role_id`` for a level; False if it was not a reward."""
        statement = (
            delete(LevelRoleReward)
            .where(LevelRoleReward.guild_id == guild_id, LevelRoleReward.role_id == role_id)
            .returning(LevelRoleReward.role_id)
        )
        async with self._database.session() as session:
            removed = (await session.execute(statement)).first() is not None
            await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return removed

    async def set_achievement_role(self, guild_id: int, achievement_name: str, role_id: int) -> int:
        """Grant ``role_id`` to members who unlock an achievement; return the achievement id."""
        definition = (await self._catalogue.get()).named(achievement_name)
        async with self._database.session() as session:
            row = await session.get(AchievementRoleReward, (guild_id, definition.id))
            if row is None:
                session.add(
                    AchievementRoleReward(
                        guild_id=guild_id, achievement_id=definition.id, role_id=role_id
                    )
                )
            else:
                row.role_id = role_id
            await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return definition.id

    async def remove_achievement_role(self, guild_id: int, achievement_name: str) -> bool:
        """Stop granting a role for an achievement; False if none was set."""
        definition = (await self._catalogue.get()).named(achievement_name)
        statement = (
            delete(AchievementRoleReward)
            .where(
                AchievementRoleReward.guild_id == guild_id,
                AchievementRoleReward.achievement_id == definition.id,
            )
            .returning(AchievementRoleReward.role_id)
        )
        async with self._database.session() as session:
            removed = (await session.execute(statement)).first() is not None
            await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return removed

    async def level_role_changes(
        self,
        guild_id: int,
        level: int,
        current_role_ids: Collection[int],
        mode: RoleRewardMode,
    ) -> RoleChanges:
        """What to change so a member at ``level`` holds exactly their level rewards."""
        return plan_level_roles(await self.level_roles(guild_id), mode, level, current_role_ids)

    async def achievement_role_changes(
        self, guild_id: int, unlocked_ids: Collection[int], current_role_ids: Collection[int]
    ) -> RoleChanges:
        """The achievement reward roles a member earned and does not hold yet."""
        rewards = await self.achievement_roles(guild_id)
        earned = {role for achievement, role in rewards.items() if achievement in unlocked_ids}
        return RoleChanges(add=frozenset(earned - set(current_role_ids)))

    async def _load(self, guild_id: int) -> tuple[list[LevelRole], dict[int, int]]:
        async def load() -> dict[str, list[list[int]]]:
            async with self._database.session() as session:
                levels = await session.execute(
                    select(LevelRoleReward.level, LevelRoleReward.role_id)
                    .where(LevelRoleReward.guild_id == guild_id)
                    .order_by(LevelRoleReward.level, LevelRoleReward.role_id)
                )
                achievements = await session.execute(
                    select(AchievementRoleReward.achievement_id, AchievementRoleReward.role_id)
                    .where(AchievementRoleReward.guild_id == guild_id)
                    .order_by(AchievementRoleReward.achievement_id)
                )
                return {
                    "levels": [[level, role] for level, role in levels],
                    "achievements": [[achievement, role] for achievement, role in achievements],
                }

        data = await self._cache.get_or_load(
            self.cache_key(guild_id), load, self._cache.ttl.guild_config
        )
        return (
            [LevelRole(level, role) for level, role in data["levels"]],
            {achievement: role for achievement, role in data["achievements"]},
        )
