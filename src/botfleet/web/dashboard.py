"""What the dashboard shows and changes, without HTTP: profiles, public boards, guild choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from botfleet.cache import CacheHierarchy
from botfleet.database.base import Database
from botfleet.database.models import Achievement, User, UserAchievement, UserBotStats
from botfleet.database.models.dashboard import DashboardGuildSettings
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification.leaderboard_pages import LeaderboardPage, LeaderboardService
from botfleet.web.inputs import LeaderboardAnchor


@dataclass(frozen=True)
class EarnedAchievement:
    name: str
    description: str | None
    rarity: str | None
    points: int
    unlocked_at: datetime


@dataclass(frozen=True)
class BotActivity:
    bot_name: str
    command_count: int
    last_active: datetime | None


@dataclass(frozen=True)
class GuildStanding:
    guild_id: int
    xp: int
    level: int


@dataclass(frozen=True)
class Profile:
    """A member's fleet-wide standing: the ``users`` row and what hangs off it."""

    user_id: int
    username: str
    level: int
    total_xp: int
    is_premium: bool
    premium_tier: int
    premium_since: datetime | None
    bots: tuple[BotActivity, ...]
    guilds: tuple[GuildStanding, ...]
    achievements: tuple[EarnedAchievement, ...]


async def profile_of(database: Database, user_id: int) -> Profile | None:
    """The member's profile; None when the fleet has never seen them."""
    async with database.session() as session:
        user = await session.get(User, user_id)
        if user is None:
            return None
        bots = (
            await session.execute(
                select(UserBotStats.bot_name, UserBotStats.command_count, UserBotStats.last_active)
                .where(UserBotStats.user_id == user_id)
                .order_by(UserBotStats.bot_name)
            )
        ).all()
        guilds = (
            await session.execute(
                select(MemberXP.guild_id, MemberXP.xp, MemberXP.level)
                .where(MemberXP.user_id == user_id)
                .order_by(MemberXP.xp.desc())
            )
        ).all()
    return Profile(
        user_id=user.id,
        username=user.username,
        level=user.level,
        total_xp=user.total_xp,
        is_premium=user.is_premium,
        premium_tier=user.premium_tier,
        premium_since=user.premium_since,
        bots=tuple(BotActivity(*row) for row in bots),
        guilds=tuple(GuildStanding(*row) for row in guilds),
        achievements=await achievements_of(database, user_id),
    )


async def achievements_of(database: Database, user_id: int) -> tuple[EarnedAchievement, ...]:
    """The achievements the member has unlocked, newest first."""
    async with database.session() as session:
        rows = (
            await session.execute(
                select(
                    Achievement.name,
                    Achievement.description,
                    Achievement.rarity,
                    Achievement.points,
                    UserAchievement.unlocked_at,
                )
                .join(UserAchievement, UserAchievement.achievement_id == Achievement.id)
                .where(UserAchievement.user_id == user_id, UserAchievement.progress >= 100)
                .order_by(UserAchievement.unlocked_at.desc(), Achievement.name)
            )
        ).all()
    return tuple(EarnedAchievement(*row) for row in rows)


async def leaderboard_is_public(database: Database, guild_id: int) -> bool:
    """Whether the guild's admins opted in to a public leaderboard page."""
    async with database.session() as session:
        row = await session.get(DashboardGuildSettings, guild_id)
    return row is not None and row.public_leaderboard


async def public_board_page(
    database: Database,
    cache: CacheHierarchy,
    guild_id: int,
    anchor: LeaderboardAnchor | None,
    *,
    page: int | None,
    per_page: int,
) -> LeaderboardPage:
    """A page of the guild's all-time XP board: numbered ``page``, or the one a link's
    ``anchor`` reads on to (read live; ``page`` only where its ranks reach, see
    :meth:`LeaderboardService.beside`). Shared so that the dashboard's page and the JSON API
    read one page the same way for the same query, and their links and cursors agree."""
    service = LeaderboardService(database, cache, None)
    if anchor is None:
        return await service.page(
            "xp", "all_time", guild_id=guild_id, page=page or 1, per_page=per_page
        )
    return await service.beside(
        "xp",
        "all_time",
        (anchor.value, anchor.user_id),
        forward=anchor.forward,
        page=page,
        guild_id=guild_id,
        per_page=per_page,
    )


async def set_leaderboard_public(
    database: Database, guild_id: int, public: bool, actor_id: int
) -> None:
    """Open or close the guild's public leaderboard page, remembering who did it."""
    values = {"public_leaderboard": public, "updated_by": actor_id}
    statement = database.upsert(DashboardGuildSettings).values(guild_id=guild_id, **values)
    async with database.session() as session:
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[DashboardGuildSettings.guild_id], set_=values
            )
        )
        await session.commit()
