"""``/ready`` reports each bot's heartbeat without letting a silent bot make the web unready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from botfleet import bot_names
from botfleet.config.schema import DatabaseSection, Settings
from botfleet.database import Database
from botfleet.database.models.heartbeat import BotHeartbeat
from botfleet.web import create_app


@pytest.fixture
async def ready_client(web_database: Database) -> AsyncIterator[TestClient[Any, Any]]:
    settings = Settings(database=DatabaseSection(url=SecretStr(str(web_database.url))))
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, database=web_database))
    )
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def beat(bot_name: str, last_seen: datetime, latency_ms: int) -> BotHeartbeat:
    return BotHeartbeat(
        bot_name=bot_name,
        instance="host-1",
        version="1.0",
        started_at=last_seen - timedelta(hours=1),
        last_seen=last_seen,
        interval_seconds=30,
        latency_ms=latency_ms,
        guild_count=3,
        shard_count=1,
    )


async def test_ready_lists_every_bot_and_flags_a_silent_one(
    ready_client: TestClient[Any, Any], web_database: Database
) -> None:
    now = datetime.now(UTC)
    async with web_database.session() as session:
        session.add(beat("hangman", now, 42))
        session.add(beat("grammar", now - timedelta(hours=2), 50))
        await session.commit()
    response = await ready_client.get("/ready")
    assert response.status == 200
    bots = (await response.json())["checks"]["bots"]
    assert bots["status"] == "degraded"
    assert set(bots["bots"]) == set(bot_names())
    assert bots["bots"]["hangman"]["state"] == "online"
    assert bots["bots"]["hangman"]["latency_ms"] == 42
    assert bots["bots"]["grammar"]["state"] == "not responding"
    assert bots["bots"]["music"]["state"] == "never started"
