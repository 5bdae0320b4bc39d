"""The gamification framework every bot shares (architecture 1.4, ADR-002).

XP, levels, achievements, leaderboards and rewards follow a member from one bot to the next.
A bot holds one :class:`Gamification`; its XP system (``gamification.xp``) takes every award. A
game reports its players' results in one call, typed (:mod:`.games`), and gets back the
level-ups to announce with the game::

    level_ups = await gamification.xp.report_game(
        [GameResult(player_id, GameEnding.WIN, streak=3)], guild_id=guild_id, channel_id=channel_id
    )

The services know nothing of discord.py: they take ids and return decisions (role changes,
where to announce), and dispatch ``xp_level_up`` and ``achievement_unlock`` events through the
bot's ``dispatch``.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from botfleet.cache import CacheHierarchy, RedisUnavailableError
from botfleet.config.schema import Settings
from botfleet.database.base import Database
from botfleet.gamification import privacy as privacy
from botfleet.gamification.achievements import (
    AchievementDefinition,
    AchievementProgress,
    AchievementService,
    CatalogueCache,
    Rarity,
    progress_bar,
)
from botfleet.gamification.announcements import Announcement, announcement_for
from botfleet.gamification.boards import Board, LeaderboardCategory, RankedEntry
from botfleet.gamification.cooldowns import MessageCooldowns
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
from botfleet.gamification.games import (
    CategoryWin,
    Feat,
    GameEnding,
    GameResult,
    Outcome,
    PointsEarned,
)
from botfleet.gamification.guild_settings import (
    GamificationSettingsError,
    GuildSettingsService,
    GuildXPConfig,
)
from botfleet.gamification.leaderboard_pages import LeaderboardPage, LeaderboardService
from botfleet.gamification.levels import LevelCurve, LevelProgress
from botfleet.gamification.options import AnnouncementMode, GamificationOptions, RoleRewardMode
from botfleet.gamification.periods import Period
from botfleet.gamification.redis_rankings import RedisRankings
from botfleet.gamification.rewards import LevelRole, RewardService, RoleChanges
from botfleet.gamification.store import AdjustmentResult, XPStore
from botfleet.gamification.xp_admin import XPAdjustmentError
from botfleet.gamification.xp_system import MemberProfile, XPSystem

log = logging.getLogger(__name__)

__all__ = [
    "ACHIEVEMENT_EVENT",
    "LEVEL_UP_EVENT",
    "AchievementDefinition",
    "AchievementProgress",
    "AchievementUnlocked",
    "AdjustmentResult",
    "Announcement",
    "AnnouncementMode",
    "Board",
    "CategoryWin",
    "Feat",
    "FlushReport",
    "GameEnding",
    "GameResult",
    "Gamification",
    "GamificationOptions",
    "GamificationSettingsError",
    "GuildXPConfig",
    "LeaderboardCategory",
    "LeaderboardPage",
    "LevelCurve",
    "LevelProgress",
    "LevelRole",
    "LevelUp",
    "MemberProfile",
    "Outcome",
    "Period",
    "PointsEarned",
    "RankedEntry",
    "Rarity",
    "RoleChanges",
    "RoleRewardMode",
    "XPAdjustmentError",
    "XPAward",
    "XPSource",
    "announcement_for",
    "progress_bar",
]


class BotLike(Protocol):
    """What :meth:`Gamification.for_bot` needs of a bot (``FleetBot`` has all of it)."""

    database: Database
    cache: CacheHierarchy
    settings: Settings

    @property
    def name(self) -> str: ...

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None: ...


class Gamification:
    """The gamification services of one bot process, wired to its database and cache."""

    def __init__(
        self,
        database: Database,
        cache: CacheHierarchy,
        *,
        bot_name: str | None,
        options: GamificationOptions | None = None,
        key_prefix: str = "",
        dispatch: Dispatch | None = None,
    ) -> None:
        self.options = options or GamificationOptions()
        redis = cache.redis
        self.catalogue = CatalogueCache(database)
        self.rankings = RedisRankings(redis, key_prefix, database) if redis is not None else None
        self.settings = GuildSettingsService(database, cache, self.options)
        self.leaderboards = LeaderboardService(database, cache, self.rankings)
        self.store = XPStore(
            database,
            self.catalogue,
            curve=self.options.curve,
            premium_bonus=self.options.premium_bonus_percent,
        )
        self.xp = XPSystem(
            database,
            self.store,
            self.settings,
            self.leaderboards,
            options=self.options,
            bot_name=bot_name,
            rankings=self.rankings,
            cooldowns=MessageCooldowns(redis, key_prefix),
            dispatch=dispatch,
        )
        self.achievements = AchievementService(database, self.catalogue, self.xp)
        self.rewards = RewardService(database, cache, self.catalogue)

    @classmethod
    def for_bot(cls, bot: BotLike, options: GamificationOptions | None = None) -> Gamification:
        """The framework of a fleet bot: its database, cache, key prefix, name and dispatch."""
        return cls(
            bot.database,
            bot.cache,
            bot_name=bot.name,
            options=options or GamificationOptions.from_settings(bot.settings),
            key_prefix=bot.settings.cache.key_prefix,
            dispatch=bot.dispatch,
        )

    @property
    def curve(self) -> LevelCurve:
        return self.options.curve

    async def start(self) -> None:
        """Start saving awarded XP in the background."""
        await self.xp.start()

    async def stop(self) -> None:
        """Save everything still buffered and stop background work."""
        await self.xp.stop()
        if self.rankings is not None:
            await self.rankings.close()

    async def check_level_up(self, user_id: int, *, guild_id: int | None = None) -> list[LevelUp]:
        """Save the member's buffered XP now and return the level-ups it caused."""
        return await self.xp.check_level_up(user_id, guild_id=guild_id)

    async def forget_user(self, user_id: int) -> None:
        """Drop what this process and Redis hold about a member (besides the database rows,
        which the privacy deleters remove); Redis being away is logged, not raised."""
        await self.xp.forget_user(user_id)
        if self.rankings is not None:
            try:
                await self.rankings.forget_user(user_id)
            except RedisUnavailableError:
                log.warning(
                    "Redis is away: member %d stays in the Redis rankings until they are rebuilt",
                    user_id,
                )
