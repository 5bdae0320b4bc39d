"""Fixtures of the Hangman tests: migrated databases on SQLite and on real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hangman_helpers import Clock, ServiceFactory, one_word_bank

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services.games import HangmanService
from botfleet.database import Database
from botfleet.database.migrate import upgrade


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hangman.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    await upgrade(database_url)
    opened = Database(database_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(database: Database, clock: Clock) -> ServiceFactory:
    """A service on the test's database with a one-word bank and the test's clock."""

    def make(**overrides: Any) -> HangmanService:
        options = overrides.pop("options", HangmanOptions(inactivity_timeout=60))
        bank = overrides.pop("bank", one_word_bank())
        overrides.setdefault("clock", clock)
        return HangmanService(overrides.pop("database", database), bank, options, **overrides)

    return make
