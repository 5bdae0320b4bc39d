"""Liveness and readiness endpoints, against real SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from botfleet import __version__
from botfleet.cache import ResilientRedis
from botfleet.config.schema import CacheSection, DatabaseSection, Settings
from botfleet.database import migrate
from botfleet.web import create_app

ClientFactory = Callable[[Settings], Any]


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFactory]:
    clients: list[TestClient[Any, Any]] = []

    async def make(settings: Settings) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def sqlite_settings(tmp_path: Path, **sections: Any) -> Settings:
    url = SecretStr(f"sqlite+aiosqlite:///{tmp_path}/fleet.db")
    return Settings(database=DatabaseSection(url=url), **sections)


async def test_health_answers_with_the_version(client_for: ClientFactory, tmp_path: Path) -> None:
    client = await client_for(sqlite_settings(tmp_path))
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__


async def test_ready_on_sqlite_without_redis(client_for: ClientFactory, tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    await migrate.upgrade(settings.database.url.get_secret_value())
    client = await client_for(settings)
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "not configured"


async def test_ready_on_postgres_and_redis(
    client_for: ClientFactory, postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(
        database=DatabaseSection(url=SecretStr(postgres_url)),
        cache=CacheSection(redis_url=SecretStr(redis_url), key_prefix=redis_prefix),
    )
    client = await client_for(settings)
    not_migrated = await client.get("/ready")
    assert not_migrated.status == 503
    assert "botfleet db upgrade" in (await not_migrated.json())["checks"]["database"]["detail"]
    await migrate.upgrade(postgres_url)
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


async def test_dead_redis_is_degraded_not_unready(
    client_for: ClientFactory, tmp_path: Path
) -> None:
    settings = sqlite_settings(
        tmp_path, cache=CacheSection(redis_url=SecretStr(f"redis://127.0.0.1:{dead_port()}/0"))
    )
    await migrate.upgrade(settings.database.url.get_secret_value())
    client = await client_for(settings)
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 200
    assert body["checks"]["redis"]["status"] == "degraded"


async def test_unreachable_database_is_unready_without_leaking_the_url(
    client_for: ClientFactory,
) -> None:
    url = f"postgresql+asyncpg://fleet:hunter2@127.0.0.1:{dead_port()}/fleet"
    client = await client_for(Settings(database=DatabaseSection(url=SecretStr(url))))
    response = await client.get("/ready")
    text = await response.text()
    assert response.status == 503
    assert "hunter2" not in text
    assert (await response.json())["checks"]["database"]["status"] == "failed"


async def test_injected_redis_is_used_and_left_open(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    app = create_app(sqlite_settings(tmp_path), redis=redis)
    async with TestClient(TestServer(app)) as client:
        body = await (await client.get("/ready")).json()
        assert body["checks"]["redis"]["status"] == "ok"
    assert await redis.client.ping()
    await redis.close()


async def test_ready_needs_a_database_file_and_never_creates_one(
    client_for: ClientFactory, tmp_path: Path
) -> None:
    client = await client_for(sqlite_settings(tmp_path))
    response = await client.get("/ready")
    assert response.status == 503
    assert "no database file" in (await response.json())["checks"]["database"]["detail"]
    assert not (tmp_path / "fleet.db").exists()


async def test_a_schema_read_that_waits_on_a_lock_is_unready_within_the_timeout(
    client_for: ClientFactory, postgres_url: str
) -> None:
    await migrate.upgrade(postgres_url)
    client = await client_for(Settings(database=DatabaseSection(url=SecretStr(postgres_url))))
    migrating = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with migrating.transaction():
            await migrating.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            response = await asyncio.wait_for(client.get("/ready"), 30)
            body = await response.json()
    finally:
        await migrating.close()

    assert response.status == 503
    assert body["checks"]["database"]["detail"] == "the database does not answer"
