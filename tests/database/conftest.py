"""Backend fixtures for the database tests: each test runs on SQLite and on real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botfleet.database import Database, close_database, init_database
from botfleet.database.migrate import upgrade


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file in a folder that does not exist yet, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'botfleet.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The process-wide database, opened on ``database_url`` and migrated to the newest schema."""
    opened = await init_database(database_url)
    await upgrade(database_url)
    try:
        yield opened
    finally:
        await close_database()
