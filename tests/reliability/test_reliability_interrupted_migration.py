"""A migration killed halfway (SIGKILL at a writing statement inside a revision) leaves a database
that ``botfleet db upgrade`` completes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database.base import Base, normalize_database_url
from botfleet.database.migrate import current, heads, upgrade
from botfleet.database.models import import_all_models

WORKER = Path(__file__).with_name("migration_worker.py")
KILL_AT = [2, 40, 90]
"""Writing statements after which the upgrade is killed (the whole upgrade writes about 130)."""


async def upgrade_killed_at(url: str, statement: int) -> int:
    """Run the upgrade in a process killed at its ``statement``-th writing statement."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--url",
        url,
        "--kill-at",
        str(statement),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def tables(url: str) -> set[str]:
    engine = create_async_engine(normalize_database_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(table_names)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("statement", KILL_AT)
async def test_an_upgrade_killed_halfway_is_completed_by_the_next(
    database_url: str, statement: int
) -> None:
    import_all_models()
    status = await upgrade_killed_at(database_url, statement)
    await upgrade(database_url)

    assert status == -signal.SIGKILL
    assert await current(database_url) == (await heads())[0]
    assert await tables(database_url) == set(Base.metadata.tables) | {"alembic_version"}
