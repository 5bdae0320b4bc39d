"""Fixtures of the AI service tests: the local OpenAI-compatible server and migrated databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ai_helpers import API_KEY, RecordedSleeps, ServiceFactory, SettingsFactory
from pydantic import SecretStr

from botfleet.config.schema import AISection
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.services.ai.service import AIService


@pytest.fixture
async def openai_server() -> AsyncIterator[LocalOpenAIServer]:
    async with LocalOpenAIServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ai.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'ai.db'}"


async def migrated(url: str) -> Database:
    await upgrade(url)
    return Database(url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The AI tables on SQLite and on real PostgreSQL."""
    opened = await migrated(database_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated SQLite file, for tests of the client that the backend does not change."""
    opened = await migrated(sqlite_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
def make_settings(openai_server: LocalOpenAIServer) -> SettingsFactory:
    """AI settings pointing at the local server, with quick backoff and roomy budgets."""

    def build(**overrides: Any) -> AISection:
        values: dict[str, Any] = {
            "api_key": SecretStr(API_KEY),
            "base_url": openai_server.base_url,
            "timeout": 5,
            "max_retries": 2,
            "retry_base_delay": 0.5,
            "max_retry_wait": 10,
        }
        values.update(overrides)
        return AISection(**values)

    return build


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
async def make_service(
    sqlite_database: Database, make_settings: SettingsFactory, sleeps: RecordedSleeps
) -> AsyncIterator[ServiceFactory]:
    """Services on the SQLite database whose backoff is recorded, jitter fixed at zero."""
    made: list[AIService] = []

    def make(**overrides: Any) -> AIService:
        service = AIService(
            make_settings(**overrides), sqlite_database, sleep=sleeps, jitter=lambda: 0.0
        )
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()
