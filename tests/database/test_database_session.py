"""Engine, sessions and models on both backends: round trips, constraints, cascades, settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from botfleet.config.schema import DatabaseSection, Settings
from botfleet.database import (
    Database,
    DatabaseConfigError,
    DatabaseUnavailableError,
    close_database,
    get_database,
    get_session,
    init_database,
    normalize_database_url,
)
from botfleet.database.models import (
    Achievement,
    Guild,
    LeaderboardEntry,
    User,
    UserAchievement,
    UserBotStats,
)
from botfleet.database.models.mod_defence import ModAppeal

DISCORD_ID = 1_234_567_890_123_456_789  # beyond 32 bits, as real snowflakes are
WEEK_START = date(2025, 12, 15)


async def _add_user_with_everything() -> int:
    async with get_session() as session:
        session.add(User(id=DISCORD_ID, username="ada"))
        achievement = Achievement(name="First Win", rarity="common", points=10)
        session.add(achievement)
        await session.flush()
        session.add_all(
            [
                UserBotStats(
                    user_id=DISCORD_ID,
                    bot_name="hangman",
                    command_count=3,
                    last_active=datetime.now(UTC),
                    stats={"wins": 2, "streak": {"best": 5}, "words": ["kayak"]},
                ),
                UserAchievement(user_id=DISCORD_ID, achievement_id=achievement.id, progress=40),
                LeaderboardEntry(
                    user_id=DISCORD_ID,
                    guild_id=42,
                    category="xp",
                    value=1250,
                    period="weekly",
                    period_start=WEEK_START,
                ),
            ]
        )
        await session.commit()
        return achievement.id


async def test_round_trip_of_every_model(database: Database) -> None:
    achievement_id = await _add_user_with_everything()
    async with get_session() as session:
        session.add(Guild(id=DISCORD_ID + 1, name="Word Nerds"))
        await session.commit()

    async with get_session() as session:
        user = await session.get(User, DISCORD_ID)
        assert user is not None
        assert (user.username, user.total_xp, user.level) == ("ada", 0, 1)
        assert (user.is_premium, user.premium_tier, user.access_token) == (False, 0, None)
        assert user.created_at.tzinfo is not None
        assert abs(user.created_at - datetime.now(UTC)) < timedelta(minutes=5)

        stats = await session.get(UserBotStats, (DISCORD_ID, "hangman"))
        assert stats is not None
        assert stats.stats == {"wins": 2, "streak": {"best": 5}, "words": ["kayak"]}
        assert stats.command_count == 3

        unlocked = await session.get(UserAchievement, (DISCORD_ID, achievement_id))
        assert unlocked is not None
        assert unlocked.progress == 40
        assert unlocked.unlocked_at.tzinfo is not None

        entry = await session.scalar(select(LeaderboardEntry))
        assert entry is not None
        assert (entry.guild_id, entry.value, entry.period_start) == (42, 1250, WEEK_START)

        guild = await session.get(Guild, DISCORD_ID + 1)
        assert guild is not None
        assert (guild.prefix, guild.locale, guild.is_premium) == ("!", "en-US", False)


async def test_in_place_changes_to_json_stats_are_saved(database: Database) -> None:
    await _add_user_with_everything()
    async with get_session() as session:
        stats = await session.get(UserBotStats, (DISCORD_ID, "hangman"))
        assert stats is not None and stats.stats is not None
        stats.stats["wins"] += 1
        await session.commit()

    async with get_session() as session:
        stored = await session.scalar(
            select(UserBotStats.stats).where(UserBotStats.user_id == DISCORD_ID)
        )
    assert stored is not None
    assert stored["wins"] == 3


async def test_timestamps_come_back_in_utc(database: Database) -> None:
    paris_evening = datetime(2025, 12, 21, 20, 30, tzinfo=timezone(timedelta(hours=1)))
    naive_noon = datetime(2025, 12, 21, 12, 0)
    async with get_session() as session:
        session.add(User(id=1, username="a", premium_since=paris_evening))
        session.add(User(id=2, username="b", premium_since=naive_noon))
        await session.commit()

    async with get_session() as session:
        rows = {
            row.id: row.premium_since
            for row in await session.execute(select(User.id, User.premium_since))
        }
    assert rows[1] == paris_evening
    assert rows[1] is not None and rows[1].utcoffset() == timedelta(0)
    assert rows[2] == naive_noon.replace(tzinfo=UTC)


async def test_leaderboard_rejects_a_duplicate_entry(database: Database) -> None:
    await _add_user_with_everything()
    async with get_session() as session:
        session.add(
            LeaderboardEntry(
                user_id=DISCORD_ID,
                guild_id=42,
                category="xp",
                value=9,
                period="weekly",
                period_start=WEEK_START,
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_fleet_wide_leaderboard_rejects_a_duplicate_entry(database: Database) -> None:
    await _add_user_with_everything()

    def fleet_wide(value: int) -> LeaderboardEntry:
        return LeaderboardEntry(
            user_id=DISCORD_ID,
            guild_id=None,
            category="xp",
            value=value,
            period="weekly",
            period_start=WEEK_START,
        )

    async with get_session() as session:
        session.add(fleet_wide(1))
        await session.commit()
    async with get_session() as session:
        session.add(fleet_wide(2))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_deleting_a_user_deletes_their_data(database: Database) -> None:
    achievement_id = await _add_user_with_everything()
    async with get_session() as session:
        user = await session.get(User, DISCORD_ID)
        assert user is not None
        await session.delete(user)
        await session.commit()

    async with get_session() as session:
        for model in (UserBotStats, UserAchievement, LeaderboardEntry):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        assert await session.get(Achievement, achievement_id) is not None


async def test_a_user_and_their_rows_can_be_added_in_any_order(database: Database) -> None:
    async with get_session() as session:
        session.add(UserBotStats(user_id=DISCORD_ID, bot_name="grammar"))
        session.add(UserAchievement(user_id=DISCORD_ID, achievement_id=1))
        session.add(Achievement(id=1, name="Wordsmith"))
        session.add(User(id=DISCORD_ID, username="ada"))
        await session.commit()

    async with get_session() as session:
        assert await session.scalar(select(func.count()).select_from(UserAchievement)) == 1


async def test_rows_need_an_existing_user(database: Database) -> None:
    async with get_session() as session:
        session.add(UserBotStats(user_id=404, bot_name="mod"))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_ping_answers(database: Database) -> None:
    assert await get_database().ping() >= 0


async def test_sqlite_connections_use_wal_foreign_keys_busy_timeout_and_a_small_cache(
    tmp_path: Path,
) -> None:
    database = await init_database(f"sqlite:///{tmp_path / 'deep' / 'er' / 'bot.db'}")
    try:
        async with get_session() as session:
            assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
            assert await session.scalar(text("PRAGMA busy_timeout")) == 5000
            assert await session.scalar(text("PRAGMA cache_size")) == -256  # KiB, not 2 MiB
        assert database.backend == "sqlite"
        assert (tmp_path / "deep" / "er" / "bot.db").exists()
    finally:
        await close_database()


async def test_sqlite_folder_that_cannot_be_created_is_explained(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be")
    with pytest.raises(DatabaseUnavailableError, match="Cannot create the folder"):
        await init_database(f"sqlite:///{tmp_path / 'taken' / 'bot.db'}")


async def test_default_settings_open_the_sqlite_file_under_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = await init_database()
    try:
        await database.ping()
        assert (tmp_path / "data" / "botfleet.db").exists()
    finally:
        await close_database()


async def test_in_memory_sqlite_keeps_its_data_across_sessions() -> None:
    database = Database("sqlite://")
    try:
        await database.create_schema()
        async with database.session() as session:
            session.add(User(id=7, username="memo"))
            await session.commit()
        async with database.session() as session:
            assert (await session.get(User, 7)) is not None
    finally:
        await database.dispose()


async def test_init_from_settings_uses_the_pool_options(postgres_url: str) -> None:
    section = DatabaseSection(url=SecretStr(postgres_url), pool_size=2, pool_timeout=7)
    database = await init_database(Settings(database=section))
    try:
        assert get_database() is database
        assert database.backend == "postgresql"
        assert database.engine.pool.size() == 2  # type: ignore[attr-defined]
        assert database.engine.pool.timeout() == 7  # type: ignore[attr-defined]
        assert await database.ping() >= 0
    finally:
        await close_database()


async def test_pool_replaces_a_connection_the_server_closed(postgres_url: str) -> None:
    database = Database(postgres_url, DatabaseSection(pool_size=1))
    administrator = Database(postgres_url)
    try:
        async with database.engine.connect() as pooled:
            pid = await pooled.scalar(text("SELECT pg_backend_pid()"))
        async with administrator.engine.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        async with database.engine.connect() as reconnected:
            assert await reconnected.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await administrator.dispose()
        await database.dispose()


async def test_unreachable_database_gives_a_clear_error_without_the_password() -> None:
    database = Database("postgresql://bot:hunter2@127.0.0.1:1/botfleet")
    try:
        with pytest.raises(DatabaseUnavailableError) as error:
            await database.ping()
    finally:
        await database.dispose()
    assert "Cannot reach the database at postgresql+asyncpg://bot:***@127.0.0.1:1" in str(
        error.value
    )
    assert "hunter2" not in str(error.value)


async def test_get_session_without_init_explains_what_to_do() -> None:
    await close_database()
    with pytest.raises(RuntimeError, match="init_database"):
        async with get_session():
            pass
    with pytest.raises(RuntimeError, match="not initialised"):
        get_database()


async def test_init_replaces_the_previous_database(tmp_path: Path) -> None:
    first = await init_database(f"sqlite:///{tmp_path / 'one.db'}")
    first_pool = first.engine.pool
    second = await init_database(f"sqlite:///{tmp_path / 'two.db'}")
    try:
        assert get_database() is second is not first
        assert first.engine.pool is not first_pool  # disposing an engine swaps in a new pool
    finally:
        await close_database()


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("postgres://bot:pw@db:5432/fleet", "postgresql+asyncpg://bot:pw@db:5432/fleet"),
        ("postgresql://bot:pw@db/fleet", "postgresql+asyncpg://bot:pw@db/fleet"),
        ("postgresql+asyncpg://bot@db/fleet", "postgresql+asyncpg://bot@db/fleet"),
        ("sqlite:///data/botfleet.db", "sqlite+aiosqlite:///data/botfleet.db"),
        ("sqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ],
)
def test_database_urls_people_write_are_normalised(written: str, normalised: str) -> None:
    assert normalize_database_url(written).render_as_string(hide_password=False) == normalised


def test_normalisation_keeps_escaped_passwords() -> None:
    url = normalize_database_url("postgres://bot:p%40ss%25word@db/fleet")
    assert url.password == "p@ss%word"
    assert url.drivername == "postgresql+asyncpg"


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("mysql://bot@db/fleet", "'mysql://' are not supported"),
        ("postgresql+psycopg2://bot@db/fleet", "are not supported"),
        ("not a url", "not valid"),
    ],
)
def test_unusable_database_urls_are_explained(written: str, hint: str) -> None:
    with pytest.raises(DatabaseConfigError, match=hint):
        normalize_database_url(written)


async def test_sqlite_connects_while_another_process_writes(tmp_path: Path) -> None:
    """A second process opening a busy, not-yet-WAL file must wait or go on, never fail."""
    path = tmp_path / "busy.db"
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("CREATE TABLE t (x INTEGER)")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (1)")
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            assert await database.ping() >= 0
        finally:
            await database.dispose()
    finally:
        writer.execute("COMMIT")
        writer.close()
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert mode == "wal", "the next connection switches the file to WAL"
    finally:
        await database.dispose()


async def test_a_schema_made_from_the_models_keeps_partial_indexes_partial(
    database_url: str,
) -> None:
    """One open appeal per member and server, any number of decided ones, on both backends:
    PostgreSQL's index condition is given when its schema is made, not when the models load."""
    database = Database(database_url)
    try:
        await database.prepare()
        await database.create_schema()
        async with database.session() as session:
            for status in ("denied", "denied", "open"):
                session.add(ModAppeal(guild_id=1, user_id=DISCORD_ID, text="sorry", status=status))
            await session.commit()
        async with database.session() as session:
            session.add(ModAppeal(guild_id=1, user_id=DISCORD_ID, text="again", status="open"))
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_preparing_a_server_database_opens_its_first_connection_alone(
    postgres_url: str,
) -> None:
    """The dialect is initialised on that connection before the bot's tasks use the engine."""
    database = Database(postgres_url)
    try:
        await database.prepare()
        assert database.engine.sync_engine.pool.checkedin() == 1
    finally:
        await database.dispose()


async def test_preparing_a_server_database_that_does_not_answer_is_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    try:
        await database.prepare()
    finally:
        await database.dispose()
    assert "did not answer at start" in caplog.text
