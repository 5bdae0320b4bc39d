"""Migrations: they build exactly the models' schema, and go down and up again, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database import Base, DatabaseUnavailableError, migrate
from botfleet.database.migrate import MigrationError, current, downgrade, heads, upgrade
from botfleet.database.models import import_all_models

import_all_models()  # every table of every bot in the metadata

SCHEMA_TABLES = {
    "users",
    "guilds",
    "user_bot_stats",
    "achievements",
    "user_achievements",
    "leaderboard_entries",
}


async def _inspect(url: str, reader: Any) -> Any:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(reader)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _index_names(connection: Connection) -> set[str]:
    inspector = inspect(connection)
    return {
        str(index["name"])
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
    }


async def test_there_is_a_single_head_descending_from_0001(database_url: str) -> None:
    assert len(await heads()) == 1
    await upgrade(database_url, "0001")
    assert await current(database_url) == "0001"
    assert await _inspect(database_url, _table_names) >= SCHEMA_TABLES


async def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    assert await current(database_url) is None

    await upgrade(database_url)
    assert await current(database_url) == (await heads())[0]
    assert await _inspect(database_url, _table_names) == set(Base.metadata.tables) | {
        "alembic_version"
    }

    await downgrade(database_url, "base")
    assert await current(database_url) is None
    assert await _inspect(database_url, _table_names) == {"alembic_version"}

    await upgrade(database_url)
    assert await current(database_url) == (await heads())[0]
    assert await _inspect(database_url, _table_names) >= SCHEMA_TABLES


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    await upgrade(database_url)

    assert await _inspect(database_url, _schema_differences) == []
    assert {
        "idx_users_level",
        "idx_user_stats_last_active",
        "idx_leaderboard_composite",
    } <= await _inspect(database_url, _index_names)


async def test_current_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "botfleet.db"

    assert await current(f"sqlite:///{missing}") is None
    assert not missing.parent.exists()


async def test_unknown_revision_is_reported_as_a_migration_error(database_url: str) -> None:
    with pytest.raises(MigrationError, match=r"Could not upgrade the database .* to '9999'"):
        await upgrade(database_url, "9999")


async def test_unreachable_database_is_reported_without_the_password() -> None:
    unreachable = "postgresql://bot:hunter2@127.0.0.1:1/botfleet"
    with pytest.raises(MigrationError, match=r"bot:\*\*\*@127\.0\.0\.1:1") as failed:
        await upgrade(unreachable)
    with pytest.raises(DatabaseUnavailableError, match="Cannot read the schema revision") as read:
        await current(unreachable)
    assert "hunter2" not in str(failed.value) + str(read.value)


async def test_schema_state_reads_without_creating_anything(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
    missing = await migrate.schema_state(url)
    assert (missing.exists, missing.revision, missing.latest) == (False, None, False)
    assert not (tmp_path / "state.db").exists()
    await migrate.upgrade(url)
    upgraded = await migrate.schema_state(url)
    assert upgraded.exists and upgraded.latest
    assert upgraded.revision in upgraded.heads


async def test_the_revisions_read_without_alembic_are_alembics(database_url: str) -> None:
    """The newest revisions come from the scripts' own lines and the database's from a plain
    query; Alembic, which would load every SQL dialect, must read the same."""
    script_directory = ScriptDirectory.from_config(migrate.alembic_config())
    assert sorted(await heads()) == sorted(script_directory.get_heads())
    await upgrade(database_url, "0023")
    alembic_reads = await _inspect(
        database_url,
        lambda connection: MigrationContext.configure(connection).get_current_revision(),
    )
    assert await current(database_url) == alembic_reads == "0023"


async def test_a_version_table_with_two_revisions_is_refused(database_url: str) -> None:
    await upgrade(database_url)
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    finally:
        await engine.dispose()
    with pytest.raises(MigrationError, match="alembic_version holds several revisions"):
        await current(database_url)


async def test_0024_closes_raced_duplicate_appeals_and_refuses_new_ones(database_url: str) -> None:
    await upgrade(database_url, "0023")
    engine = create_async_engine(database_url, poolclass=NullPool)
    insert = text(
        "INSERT INTO mod_appeals (guild_id, user_id, text, status) "
        "VALUES (:guild, :user, 'please', 'open')"
    )
    try:
        async with engine.begin() as connection:
            for user in (1, 1, 2):  # member 1's two submits raced; member 2 appealed once
                await connection.execute(insert, {"guild": 9, "user": user})
        await upgrade(database_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, user_id, status FROM mod_appeals ORDER BY id")
                )
            ).all()
            assert [(user, status) for _, user, status in rows] == [
                (1, "open"),
                (1, "denied"),
                (2, "open"),
            ]
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert, {"guild": 9, "user": 2})
    finally:
        await engine.dispose()
