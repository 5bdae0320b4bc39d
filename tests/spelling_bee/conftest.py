"""Fixtures of the Spelling Bee tests: migrated databases on SQLite and on real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botfleet.database import Database
from botfleet.database.migrate import upgrade


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def bee_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bee.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def bee_database(bee_database_url: str) -> AsyncIterator[Database]:
    await upgrade(bee_database_url)
    opened = Database(bee_database_url)
    try:
        yield opened
    finally:
        await opened.dispose()
