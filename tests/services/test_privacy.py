"""Data-deletion requests on SQLite and real PostgreSQL: exactly one user's rows go, atomically."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from botfleet.bots.hangman.services.store import GameStore
from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database import (
    Database,
    DatabaseConfigError,
    DatabaseUnavailableError,
    close_database,
    init_database,
)
from botfleet.database.migrate import upgrade
from botfleet.database.models import (
    Achievement,
    LeaderboardEntry,
    Timer,
    User,
    UserAchievement,
    UserBotStats,
)
from botfleet.database.models.hangman import HangmanStats
from botfleet.services.premium import PremiumService, Subject
from botfleet.services.premium.service import cache_key as premium_cache_key
from botfleet.services.privacy import (
    DeletionReport,
    PrivacyRegistry,
    UserDataDeleter,
    UserDataDeletionError,
    data_service_modules,
    delete_user,
    delete_user_everywhere,
    forget_cached_member,
    import_data_services,
    registry,
)
from botfleet.services.scheduler import ScheduledTimer, Scheduler, Target

ADA = 1_234_567_890_123_456_789  # a snowflake beyond 32 bits, like real Discord ids
BOB = 987_654_321_098_765_432
WEEK_START = date(2025, 12, 15)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The process-wide database, migrated, so ``delete_user`` works without arguments."""
    await upgrade(database_url)
    opened = await init_database(database_url)
    try:
        yield opened
    finally:
        await close_database()


def _ignore_dispatch(name: str, timer: ScheduledTimer) -> None:
    raise AssertionError(f"no timer should fire in these tests, got {name}")


async def _add_user_with_everything(database: Database, user_id: int, name: str) -> None:
    async with database.session() as session:
        session.add(User(id=user_id, username=name))
        achievements = [Achievement(name=f"{name} first win"), Achievement(name=f"{name} streak")]
        session.add_all(achievements)
        await session.flush()
        session.add_all(
            [
                UserBotStats(user_id=user_id, bot_name="hangman", stats={"wins": 2}),
                UserBotStats(user_id=user_id, bot_name="grammar", command_count=9),
                *(
                    UserAchievement(user_id=user_id, achievement_id=achievement.id)
                    for achievement in achievements
                ),
                LeaderboardEntry(
                    user_id=user_id,
                    guild_id=42,
                    category="xp",
                    value=1250,
                    period="weekly",
                    period_start=WEEK_START,
                ),
                LeaderboardEntry(
                    user_id=user_id,
                    guild_id=None,
                    category="wins",
                    value=7,
                    period="all_time",
                    period_start=WEEK_START,
                ),
            ]
        )
        await session.commit()
    scheduler = Scheduler(database, _ignore_dispatch, bot_name="utility")
    later = timedelta(days=1)
    await scheduler.schedule(later, "reminder", {"user_id": user_id, "text": "stretch"})
    await scheduler.schedule(later, "tempban", {"user_id": str(user_id)}, target="mod")
    await scheduler.schedule(later, "daily_post", {"channel_id": user_id}, target=Target.ANY_BOT)


async def _count(database: Database, column: InstrumentedAttribute[int], user_id: int) -> int:
    async with database.session() as session:
        count = await session.scalar(select(func.count()).where(column == user_id))
    return int(count or 0)


async def _timer_payloads(database: Database) -> list[dict[str, object]]:
    async with database.session() as session:
        return list((await session.scalars(select(Timer.payload).order_by(Timer.id))).all())


async def test_delete_user_removes_exactly_that_users_data(database: Database) -> None:
    await _add_user_with_everything(database, ADA, "ada")
    await _add_user_with_everything(database, BOB, "bob")
    async with database.session() as session:
        achievements_before = await session.scalar(select(func.count()).select_from(Achievement))

    report = await delete_user(ADA)

    core = {
        "user_bot_stats": 2,
        "user_achievements": 2,
        "leaderboard_entries": 2,
        "timers": 2,
        "users": 1,
    }
    assert {name: report[name] for name in core} == core
    assert all(report[name] == 0 for name in report if name not in core), (
        "services registered by other modules (gamification, games) hold nothing of Ada here"
    )
    assert all(count == 0 for count in report.anonymised.values())
    assert list(report) == [name for name in registry.names if name not in report.anonymised]
    assert {*report, *report.anonymised} == set(registry.names)
    assert (report.user_id, report.total) == (ADA, 9)
    for column, rows_each in (
        (User.id, 1),
        (UserBotStats.user_id, 2),
        (UserAchievement.user_id, 2),
        (LeaderboardEntry.user_id, 2),
    ):
        assert await _count(database, column, ADA) == 0
        assert await _count(database, column, BOB) == rows_each
    assert await _timer_payloads(database) == [
        {"channel_id": ADA},
        {"user_id": BOB, "text": "stretch"},
        {"user_id": str(BOB)},
        {"channel_id": BOB},
    ]
    async with database.session() as session:
        achievements_after = await session.scalar(select(func.count()).select_from(Achievement))
    assert achievements_after == achievements_before, "definitions are not user data"


async def test_a_second_request_reports_zero_for_every_service(database: Database) -> None:
    await _add_user_with_everything(database, ADA, "ada")
    await delete_user(ADA, database=database)

    report = await delete_user(ADA, database=database)

    assert {**report, **report.anonymised} == dict.fromkeys(registry.names, 0)
    assert report.total == 0


async def test_the_cli_entry_point_opens_the_database_by_url(
    database_url: str, database: Database
) -> None:
    await _add_user_with_everything(database, ADA, "ada")
    await _add_user_with_everything(database, BOB, "bob")

    report = await delete_user_everywhere(database_url, BOB)

    assert isinstance(report, DeletionReport)
    core = {
        "user_bot_stats": 2,
        "user_achievements": 2,
        "leaderboard_entries": 2,
        "timers": 2,
        "users": 1,
    }
    assert {name: report[name] for name in core} == core
    assert {"member_xp", "xp_audit_log"} <= set(report), "the CLI runs every module's deleter"
    assert await _count(database, User.id, ADA) == 1


async def test_the_cli_entry_point_refuses_a_database_without_the_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(DatabaseConfigError, match="never migrated"):
        await delete_user_everywhere(f"sqlite+aiosqlite:///{empty}", ADA)
    with pytest.raises(DatabaseConfigError, match="no such database file"):
        await delete_user_everywhere(f"sqlite+aiosqlite:///{tmp_path / 'typo.db'}", ADA)
    assert not (tmp_path / "typo.db").exists(), "a mistyped path is never created"
    with pytest.raises(DatabaseUnavailableError):
        await delete_user_everywhere(f"postgresql://fleet@127.0.0.1:{_dead_port()}/fleet", ADA)


async def test_a_failing_deleter_rolls_back_the_whole_request(database: Database) -> None:
    await _add_user_with_everything(database, ADA, "ada")
    local = PrivacyRegistry()

    async def delete_stats(session: AsyncSession, user_id: int) -> int:
        statement = delete(UserBotStats).where(UserBotStats.user_id == user_id)
        return len((await session.execute(statement.returning(UserBotStats.bot_name))).all())

    async def broken(session: AsyncSession, user_id: int) -> int:
        raise RuntimeError("the music bot's table is gone")

    local.register("user_bot_stats", delete_stats)
    local.register("music_playlists", broken)

    with pytest.raises(UserDataDeletionError, match="'music_playlists'; nothing was deleted"):
        await local.delete_user(database, ADA)

    assert await _count(database, UserBotStats.user_id, ADA) == 2


async def test_services_register_deleters_that_run_before_the_user_row(
    database: Database,
) -> None:
    await _add_user_with_everything(database, ADA, "ada")
    ran: list[str] = []
    local = PrivacyRegistry()

    def recording(name: str, rows: int) -> UserDataDeleter:
        async def deleter(session: AsyncSession, user_id: int) -> int:
            ran.append(name)
            return rows

        return deleter

    local.register("users", recording("users", 1), last=True)
    local.register("warnings", recording("warnings", 3))
    local.register("playlists", recording("playlists", 0))

    report = await local.delete_user(database, ADA)

    assert ran == ["warnings", "playlists", "users"]
    assert local.names == ("warnings", "playlists", "users")
    assert report == {"warnings": 3, "playlists": 0, "users": 1}
    local.unregister("playlists")
    assert list(local.names) == ["warnings", "users"]


def test_registry_rejects_duplicate_blank_and_unknown_names() -> None:
    local = PrivacyRegistry()

    async def deleter(session: AsyncSession, user_id: int) -> int:
        return 0

    local.register("notes", deleter)
    with pytest.raises(ValueError, match="already registered"):
        local.register("notes", deleter)
    with pytest.raises(ValueError, match="needs a name"):
        local.register("  ", deleter)
    with pytest.raises(KeyError, match="No privacy deleter"):
        local.unregister("missing")


async def test_user_ids_must_be_discord_ids(database: Database) -> None:
    with pytest.raises(ValueError, match="not a Discord user id"):
        await delete_user(0)


async def test_timers_of_a_user_are_found_whatever_json_type_holds_the_id(
    database: Database,
) -> None:
    scheduler = Scheduler(database, _ignore_dispatch, bot_name="mod")
    when = datetime.now(UTC) + timedelta(hours=1)
    await scheduler.schedule(when, "unban", {"user_id": ADA, "guild_id": 42})
    await scheduler.schedule(when, "unban", {"user_id": str(ADA)})
    await scheduler.schedule(when, "unban", {"user_id": ADA + 1})
    await scheduler.schedule(when, "unban", {"user_id": [ADA]})

    report = await delete_user(ADA)

    assert report["timers"] == 2
    assert await _timer_payloads(database) == [{"user_id": ADA + 1}, {"user_id": [ADA]}]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


DELETER_REGISTRATION = re.compile(r"^registry\.register\(", re.MULTILINE)
"""A module registering a deleter with the privacy registry, at its top level (Prometheus's own
``self.registry.register`` is not one)."""


def test_every_module_that_registers_a_deleter_is_imported_by_the_cli() -> None:
    package = Path(__file__).resolve().parents[2] / "src" / "botfleet"
    own_module = package / "services" / "privacy.py"
    registering = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for path in package.rglob("*.py")
        if path != own_module and DELETER_REGISTRATION.search(path.read_text(encoding="utf-8"))
    }
    missing = registering - set(data_service_modules())
    assert not missing, (
        f"declare {sorted(missing)} in SHARED_DATA_SERVICE_MODULES or a bot's privacy_modules"
    )


async def test_a_deletion_drops_the_members_cached_data_in_every_process_over_redis(
    migrated_url: str, make_cache: Callable[[bool], Awaitable[CacheHierarchy]]
) -> None:
    """A bot's process cached the member's Hangman record and premium status (memory and
    Redis); the operator's process deletes their data and drops the cached copies through
    Redis, whose invalidation channel reaches the bot's memory tier."""
    guild_id = 42
    bot_cache, operator_cache = await make_cache(True), await make_cache(True)
    bot_database, operator_database = Database(migrated_url), Database(migrated_url)
    try:
        games = GameStore(bot_database, bot_cache)
        premium = PremiumService(bot_database, bot_cache)
        async with operator_database.session() as session:
            session.add(HangmanStats(guild_id=guild_id, user_id=ADA, played=4, won=3, points=90))
            await session.commit()
        member = Subject.user(ADA)
        await PremiumService(operator_database).override(
            member,
            actor="test",
            reason="partner",
            until=datetime.now(UTC) + timedelta(days=30),
        )
        assert (await games.stats(guild_id, ADA)).won == 3
        assert await premium.covers(ADA)

        import_data_services()  # as the command line does: every bot's deleter
        report = await registry.delete_user(operator_database, ADA)
        assert report["hangman"] == 1 and report["premium"] >= 1
        await forget_cached_member(operator_cache, ADA)

        cached = (CacheKeys.member_record(ADA, "hangman", guild_id), premium_cache_key(member))
        for _ in range(200):  # the invalidation reaches the bot's memory tier asynchronously
            if all(bot_cache.memory.get(key) is None for key in cached):
                break
            await asyncio.sleep(0.01)
        assert (await games.stats(guild_id, ADA)).played == 0
        assert not await premium.covers(ADA)
    finally:
        await bot_database.dispose()
        await operator_database.dispose()
