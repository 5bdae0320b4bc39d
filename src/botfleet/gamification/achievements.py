"""Achievements as data: definitions and rules in the database, progress per member.

The catalogue is the ``achievements`` table (name, description, category, rarity, points, icon)
joined with ``achievement_rules`` (the metric to watch, its target and the XP the unlock grants),
seeded by migration 0003. Progress is the schema's ``user_achievements.progress`` in percent;
100 means unlocked, and ``unlocked_at`` is the moment it reached 100.

Progress only ever rises, and the statement that raises it to 100 is guarded by "was below
100", so of two processes racing to unlock the same achievement exactly one sees its row come
back: that one announces it and grants its reward, inside the same transaction as the XP that
caused it (see :mod:`botfleet.gamification.store`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models import Achievement, UserAchievement
from botfleet.database.models.gamification import AchievementRule
from botfleet.errors import UserError
from botfleet.gamification.events import AchievementUnlocked

if TYPE_CHECKING:
    from botfleet.gamification.xp_system import XPSystem

UNLOCKED: Final = 100
"""``user_achievements.progress`` of an unlocked achievement."""

CATALOGUE_TTL_SECONDS: Final = 600.0
"""How long a process trusts its copy of the catalogue (it changes only through migrations)."""

BAR_FILLED: Final = "▰"
BAR_EMPTY: Final = "▱"


class Rarity(StrEnum):
    COMMON = "common"
    RARE = "rare"
    EPIC = "epic"
    LEGENDARY = "legendary"


class UnknownAchievementError(UserError):
    """No achievement has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"There is no achievement called “{name}”.")
        self.name = name


@dataclass(frozen=True, slots=True)
class AchievementDefinition:
    """One achievement and, unless it is granted only by hand, the rule that unlocks it."""

    id: int
    name: str
    description: str | None
    category: str | None
    rarity: str | None
    points: int
    icon_url: str | None
    metric: str | None = None
    target: int | None = None
    reward_xp: int = 0

    def percent_for(self, value: int) -> int:
        """Progress in whole percent towards the target; 100 only once it is reached."""
        if self.target is None or value <= 0:
            return 0
        if self.target <= 0 or value >= self.target:
            return UNLOCKED
        return min(UNLOCKED - 1, value * UNLOCKED // self.target)


@dataclass(frozen=True)
class AchievementCatalogue:
    """Every achievement, by id, by name and by the metric that drives it."""

    definitions: tuple[AchievementDefinition, ...]
    by_id: Mapping[int, AchievementDefinition] = field(init=False, repr=False)
    by_metric: Mapping[str, tuple[AchievementDefinition, ...]] = field(init=False, repr=False)
    _by_name: Mapping[str, AchievementDefinition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_metric: dict[str, list[AchievementDefinition]] = {}
        for definition in self.definitions:
            if definition.metric is not None:
                by_metric.setdefault(definition.metric, []).append(definition)
        object.__setattr__(self, "by_id", {item.id: item for item in self.definitions})
        object.__setattr__(
            self, "by_metric", {metric: tuple(items) for metric, items in by_metric.items()}
        )
        object.__setattr__(
            self, "_by_name", {item.name.casefold(): item for item in self.definitions}
        )

    def named(self, name: str) -> AchievementDefinition:
        """The achievement called ``name`` (case-insensitive), or UnknownAchievementError."""
        found = self._by_name.get(name.strip().casefold())
        if found is None:
            raise UnknownAchievementError(name)
        return found

    def progress_for(self, metrics: Mapping[str, int]) -> dict[int, int]:
        """Achievement id → percent reached by these metric values (0 percent left out)."""
        reached: dict[int, int] = {}
        for metric, value in metrics.items():
            for definition in self.by_metric.get(metric, ()):
                percent = definition.percent_for(value)
                if percent > reached.get(definition.id, 0):
                    reached[definition.id] = percent
        return reached


async def load_catalogue(session: AsyncSession) -> AchievementCatalogue:
    """Read every achievement with its rule."""
    statement = (
        select(Achievement, AchievementRule)
        .outerjoin(AchievementRule, AchievementRule.achievement_id == Achievement.id)
        .order_by(Achievement.id)
    )
    definitions = [
        AchievementDefinition(
            id=achievement.id,
            name=achievement.name,
            description=achievement.description,
            category=achievement.category,
            rarity=achievement.rarity,
            points=achievement.points,
            icon_url=achievement.icon_url,
            metric=rule.metric if rule is not None else None,
            target=rule.target if rule is not None else None,
            reward_xp=rule.reward_xp if rule is not None else 0,
        )
        for achievement, rule in await session.execute(statement)
    ]
    return AchievementCatalogue(tuple(definitions))


class CatalogueCache:
    """This process's copy of the catalogue, reloaded every ``ttl`` seconds."""

    def __init__(self, database: Database, *, ttl: float = CATALOGUE_TTL_SECONDS) -> None:
        self._database = database
        self._ttl = ttl
        self._catalogue: AchievementCatalogue | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> AchievementCatalogue:
        """The catalogue, read from the database when this copy is missing or old."""
        if self._catalogue is not None and time.monotonic() - self._loaded_at < self._ttl:
            return self._catalogue
        async with self._lock:
            if self._catalogue is None or time.monotonic() - self._loaded_at >= self._ttl:
                async with self._database.session() as session:
                    self._catalogue = await load_catalogue(session)
                self._loaded_at = time.monotonic()
            return self._catalogue

    def invalidate(self) -> None:
        """Read the catalogue again on next use (after adding an achievement at run time)."""
        self._catalogue = None


@dataclass(frozen=True, slots=True)
class AchievementProgress:
    """How far one member is towards one achievement."""

    definition: AchievementDefinition
    percent: int
    unlocked_at: datetime | None
    """When it was unlocked; None while still in progress."""

    @property
    def unlocked(self) -> bool:
        return self.percent >= UNLOCKED

    def bar(self, width: int = 10) -> str:
        """A text progress bar, e.g. ``▰▰▰▱▱▱▱▱▱▱`` for 30 percent."""
        return progress_bar(self.percent, width)


def progress_bar(percent: int, width: int = 10) -> str:
    """``width`` cells, filled in proportion to ``percent`` (rounded down, full only at 100)."""
    if width < 1:
        raise ValueError("A progress bar needs at least one cell.")
    clamped = max(0, min(UNLOCKED, percent))
    filled = clamped * width // UNLOCKED
    return BAR_FILLED * filled + BAR_EMPTY * (width - filled)


def _sort_key(progress: AchievementProgress) -> tuple[bool, str, int, int]:
    definition = progress.definition
    return (not progress.unlocked, definition.category or "", definition.target or 0, definition.id)


class AchievementService:
    """Reading members' achievements, and granting those no rule unlocks."""

    def __init__(self, database: Database, catalogue: CatalogueCache, xp: XPSystem) -> None:
        self._database = database
        self._catalogue = catalogue
        self._xp = xp

    async def definitions(self) -> Sequence[AchievementDefinition]:
        """Every achievement of the fleet."""
        return (await self._catalogue.get()).definitions

    async def progress(self, user_id: int) -> list[AchievementProgress]:
        """Every achievement with this member's progress: unlocked ones first."""
        catalogue = await self._catalogue.get()
        statement = select(
            UserAchievement.achievement_id, UserAchievement.progress, UserAchievement.unlocked_at
        ).where(UserAchievement.user_id == user_id)
        async with self._database.session() as session:
            rows = {row[0]: (row[1], row[2]) for row in (await session.execute(statement)).all()}
        result = []
        for definition in catalogue.definitions:
            percent, unlocked_at = rows.get(definition.id, (0, None))
            result.append(
                AchievementProgress(
                    definition=definition,
                    percent=percent,
                    unlocked_at=unlocked_at if percent >= UNLOCKED else None,
                )
            )
        return sorted(result, key=_sort_key)

    async def unlocked(self, user_id: int) -> list[AchievementProgress]:
        """Only the achievements this member has unlocked."""
        return [item for item in await self.progress(user_id) if item.unlocked]

    async def grant(
        self,
        user_id: int,
        name: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        bot_name: str | None = None,
    ) -> AchievementUnlocked | None:
        """Unlock ``name`` for a member now; None when they already had it.

        The unlock and whatever it causes (reward XP, a level-up) are also dispatched to the
        listeners, like unlocks that rules trigger.
        """
        definition = (await self._catalogue.get()).named(name)
        return await self._xp.grant_achievement(
            user_id,
            definition.id,
            guild_id=guild_id,
            channel_id=channel_id,
            bot_name=bot_name,
        )
