"""Rewards: roles granted at levels and for achievements, as decisions the Discord layer applies.

The service never touches Discord. For a member's standing (their level in the guild and the
achievements they unlocked) and the roles they hold now, it says which roles to add and which
to remove (:class:`RoleChanges`); :mod:`botfleet.gamification.discord.role_sync` applies them.
The same plan serves a level-up, an unlock, an administrator's XP change and a reset (which
removes every level reward, since the member is back at level 1), a member re-joining, and a
re-sync of a whole guild after its rewards changed.

In ``stack`` mode a member keeps every reward up to their level; in ``replace`` mode only the
roles of the highest reward level they reached. Achievement roles are only ever added (and a
role that is both kinds of reward stays while either earns it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import delete, func, select

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database
from botfleet.database.models import UserAchievement
from botfleet.database.models.gamification import AchievementRoleReward, LevelRoleReward, MemberXP
from botfleet.errors import UserError
from botfleet.gamification.achievements import UNLOCKED, CatalogueCache
from botfleet.gamification.levels import FIRST_LEVEL
from botfleet.gamification.options import RoleRewardMode

MAX_LEVEL_ROLES: Final = 50
MAX_ACHIEVEMENT_ROLES: Final = 50
MAX_REWARD_LEVEL: Final = 1000
STANDINGS_CHUNK: Final = 500
"""Members per query when reading many members' standings (bounded IN lists)."""


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


@dataclass(frozen=True, slots=True)
class RewardTable:
    """A guild's role rewards: roles by level, and achievement id → role."""

    levels: tuple[LevelRole, ...] = ()
    achievements: Mapping[int, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.levels or self.achievements)

    @property
    def role_ids(self) -> frozenset[int]:
        return frozenset(
            [reward.role_id for reward in self.levels] + list(self.achievements.values())
        )


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """What earns a member reward roles in a guild: their level there and their unlocks."""

    level: int = FIRST_LEVEL
    unlocked: frozenset[int] = frozenset()


def plan_member_roles(
    table: RewardTable,
    mode: RoleRewardMode,
    standing: MemberStanding,
    current_role_ids: Collection[int],
) -> RoleChanges:
    """The changes that give a member every reward role they earned, and take away the level
    rewards they no longer earn (unless an achievement earns the same role)."""
    levels = plan_level_roles(table.levels, mode, standing.level, current_role_ids)
    by_achievement = {
        role for achievement, role in table.achievements.items() if achievement in standing.unlocked
    }
    current = set(current_role_ids)
    return RoleChanges(
        add=frozenset(levels.add | (by_achievement - current)),
        remove=frozenset(levels.remove - by_achievement),
    )


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

    async def table(self, guild_id: int) -> RewardTable:
        """Every role reward of a guild."""
        levels, achievements = await self._load(guild_id)
        return RewardTable(tuple(levels), achievements)

    async def standings(
        self, guild_id: int, user_ids: Collection[int], table: RewardTable
    ) -> dict[int, MemberStanding]:
        """Each member's level in the guild and unlocks among the rewarded achievements
        (members never seen here stand at level 1 with nothing unlocked)."""
        members = sorted(set(user_ids))
        levels: dict[int, int] = {}
        unlocked: dict[int, set[int]] = {}
        rewarded = sorted(table.achievements)
        async with self._database.session() as session:
            for start in range(0, len(members), STANDINGS_CHUNK):
                chunk = members[start : start + STANDINGS_CHUNK]
                rows = await session.execute(
                    select(MemberXP.user_id, MemberXP.level).where(
                        MemberXP.guild_id == guild_id, MemberXP.user_id.in_(chunk)
                    )
                )
                levels.update({user_id: level for user_id, level in rows})
                if not rewarded:
                    continue
                unlocks = await session.execute(
                    select(UserAchievement.user_id, UserAchievement.achievement_id).where(
                        UserAchievement.user_id.in_(chunk),
                        UserAchievement.achievement_id.in_(rewarded),
                        UserAchievement.progress >= UNLOCKED,
                    )
                )
                for user_id, achievement_id in unlocks:
                    unlocked.setdefault(user_id, set()).add(achievement_id)
        return {
            user_id: MemberStanding(
                levels.get(user_id, FIRST_LEVEL), frozenset(unlocked.get(user_id, ()))
            )
            for user_id in members
        }

    async def forget_role(self, guild_id: int, role_id: int) -> int:
        """Drop every reward of a role (it was deleted); return how many there were."""
        removed = 0
        async with self._database.session() as session:
            for model in (LevelRoleReward, AchievementRoleReward):
                statement = (
                    delete(model)
                    .where(model.guild_id == guild_id, model.role_id == role_id)
                    .returning(model.role_id)
                    .execution_options(synchronize_session=False)
                )
                removed += len((await session.execute(statement)).all())
            await session.commit()
        if removed:
            await self._cache.invalidate(self.cache_key(guild_id))
        return removed

    async def set_achievement_role(self, guild_id: int, achievement_name: str, role_id: int) -> int:
        """Grant ``role_id`` to members who unlock an achievement; return the achievement id."""
        definition = (await self._catalogue.get()).named(achievement_name)
        async with self._database.session() as session:
            row = await session.get(AchievementRoleReward, (guild_id, definition.id))
            if row is None:
                existing = await session.scalar(
                    select(func.count())
                    .select_from(AchievementRoleReward)
                    .where(AchievementRoleReward.guild_id == guild_id)
                )
                if (existing or 0) >= MAX_ACHIEVEMENT_ROLES:
                    raise RewardConfigError(
                        f"A server can have at most {MAX_ACHIEVEMENT_ROLES} achievement role "
                        "rewards."
                    )
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
