"""Fixtures of the gamification tests: migrated databases on SQLite and real PostgreSQL, caches
with and without the real Redis, and a factory of gamification services (one per "process")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from gamification_helpers import GamificationFactory, Recorder

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.gamification import Gamification, GamificationOptions


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gamification.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    opened = Database(migrated_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
def redis_settings(redis_url: str, redis_prefix: str) -> tuple[str, str]:
    return redis_url, redis_prefix


@pytest.fixture
async def make_gamification() -> AsyncIterator[GamificationFactory]:
    """Builds gamification services; each is stopped, and its database closed, afterwards.

    ``redis=(url, prefix)`` gives it a cache and rankings on the real Redis.
    """
    made: list[tuple[Gamification, CacheHierarchy, Database | None]] = []

    def make(
        database: Database | str,
        *,
        bot_name: str = "hangman",
        options: GamificationOptions | None = None,
        dispatch: Recorder | None = None,
        redis: tuple[str, str] | None = None,
    ) -> Gamification:
        owned = Database(database) if isinstance(database, str) else None
        resolved = owned or database
        assert isinstance(resolved, Database)
        prefix = ""
        if redis is not None:
            url, prefix = redis
            connection = ResilientRedis.from_url(url, retry_interval=0.5)
            cache = CacheHierarchy(
                MemoryCache(10_000), connection, key_prefix=prefix, owns_redis=True
            )
        else:
            cache = CacheHierarchy(MemoryCache(10_000))
        gamification = Gamification(
            resolved,
            cache,
            bot_name=bot_name,
            options=options,
            key_prefix=prefix,
            dispatch=dispatch,
        )
        made.append((gamification, cache, owned))
        return gamification

    yield make
    for gamification, cache, owned in made:
        await gamification.stop()
        await cache.close()
        if owned is not None:
            await owned.dispose()
