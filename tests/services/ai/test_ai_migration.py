"""Migration 0006 creates the AI usage table and removes it again, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database.migrate import current, downgrade, upgrade


def _usage_table(connection: Connection) -> tuple[bool, list[str]]:
    inspector = inspect(connection)
    if "ai_usage" not in inspector.get_table_names():
        return False, []
    return True, list(inspector.get_pk_constraint("ai_usage")["constrained_columns"])


async def _inspect(url: str) -> tuple[bool, list[str]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_usage_table)
    finally:
        await engine.dispose()


async def test_0006_adds_and_removes_the_usage_table(database_url: str) -> None:
    await upgrade(database_url, "0005")
    assert await _inspect(database_url) == (False, [])
    await upgrade(database_url, "0006")
    assert await current(database_url) == "0006"
    assert await _inspect(database_url) == (True, ["scope", "subject_id", "day"])
    await downgrade(database_url, "0005")
    assert await current(database_url) == "0005"
    assert await _inspect(database_url) == (False, [])
