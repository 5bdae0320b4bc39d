"""Migration 0003 on SQLite and real PostgreSQL: tables, ranking index and seeded catalogue up,
everything (and only that) gone down, and up again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database import Database
from botfleet.database.migrate import current, downgrade, upgrade
from botfleet.database.models import Achievement, User, UserAchievement
from botfleet.database.models.gamification import AchievementRule

GAMIFICATION_TABLES = {
    "guild_xp_settings",
    "member_xp",
    "level_role_rewards",
    "achievement_rules",
    "achievement_role_rewards",
    "xp_audit_log",
    "xp_flush_batches",
}


async def _inspect(url: str, reader: Any) -> Any:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(reader)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _leaderboard_indexes(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("leaderboard_entries")}


async def _catalogue(url: str) -> dict[str, int | None]:
    """Achievement name → the target of its rule (None without one)."""
    database = Database(url)
    try:
        async with database.session() as session:
            if "achievement_rules" not in await _inspect(url, _tables):
                return dict.fromkeys((await session.scalars(select(Achievement.name))).all())
            statement = select(Achievement.name, AchievementRule.target).outerjoin(
                AchievementRule, AchievementRule.achievement_id == Achievement.id
            )
            return {name: target for name, target in await session.execute(statement)}
    finally:
        await database.dispose()


async def test_0003_goes_up_down_and_up_again(database_url: str) -> None:
    await upgrade(database_url, "0002")
    database = Database(database_url)
    try:
        async with database.session() as session:
            session.add_all(
                [
                    User(id=1, username="ada"),
                    Achievement(id=1, name="Regular", description="Made by hand before 0003"),
                    Achievement(id=2, name="Server Booster"),
                ]
            )
            await session.flush()
            session.add(UserAchievement(user_id=1, achievement_id=2))
            await session.commit()

        await upgrade(database_url, "0003")
        assert await current(database_url) == "0003"
        assert await _inspect(database_url, _tables) >= GAMIFICATION_TABLES
        assert "ix_leaderboard_entries_ranking" in await _inspect(
            database_url, _leaderboard_indexes
        )
        catalogue = await _catalogue(database_url)
        assert len(catalogue) == 21  # 20 seeded, one of them existed, plus Server Booster
        assert catalogue["Regular"] == 10  # the existing row got the rule, not a duplicate
        assert catalogue["Server Booster"] is None
        assert catalogue["Spelling Star"] == 100

        async with database.session() as session:
            session.add(UserAchievement(user_id=1, achievement_id=1005, progress=100))
            await session.commit()
        await downgrade(database_url, "0002")
        assert await current(database_url) == "0002"
        assert not GAMIFICATION_TABLES & await _inspect(database_url, _tables)
        assert "ix_leaderboard_entries_ranking" not in await _inspect(
            database_url, _leaderboard_indexes
        )
        assert set(await _catalogue(database_url)) == {"Regular", "Server Booster"}
        async with database.session() as session:
            unlocks = (await session.scalars(select(UserAchievement.achievement_id))).all()
        assert unlocks == [2]

        await upgrade(database_url, "0003")
        assert len(await _catalogue(database_url)) == 21
        await upgrade(database_url)  # and whatever revisions follow still apply on top
    finally:
        await database.dispose()
