"""The read-only JSON API: answers, errors, and the per-client rate limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from web_helpers import BrowserFactory, limited_web, logged_in, record_activity

from botfleet.config.schema import DatabaseSection, Settings, WebSection
from botfleet.database import Database
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.web import create_app
from botfleet.web.dashboard import set_leaderboard_public


async def test_the_openapi_document_names_every_route(browser_for: BrowserFactory) -> None:
    browser = await browser_for()
    document = await (await browser.http.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/me",
        "/api/v1/me/achievements",
        "/api/v1/guilds/{guild_id}/leaderboard",
    }


async def test_the_profile_and_achievements_of_the_logged_in_member(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    visitor = await browser_for()
    refused = await visitor.http.get("/api/v1/me")
    assert refused.status == 401
    assert (await refused.json())["error"] == "not_logged_in"

    ada = await logged_in(browser_for, community, "ada")
    await record_activity(web_database, community)
    profile = await (await ada.http.get("/api/v1/me")).json()
    assert profile["id"] == str(community.member("ada").id)
    assert (profile["level"], profile["total_xp"]) == (4, 1250)
    assert profile["premium"]["active"] is True
    achievements = await (await ada.http.get("/api/v1/me/achievements")).json()
    assert [item["name"] for item in achievements["achievements"]] == ["First Word"]


async def test_a_leaderboard_answers_once_public(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    await record_activity(web_database, community)
    client = (await browser_for()).http
    path = f"/api/v1/guilds/{community.id}/leaderboard"
    assert (await client.get(path)).status == 404
    await set_leaderboard_public(web_database, community.id, True, community.owner.id)
    board = await (await client.get(path, params={"per_page": "1"})).json()
    assert board["total"] == 2 and board["pages"] == 2
    assert board["entries"] == [
        {"rank": 1, "user_id": str(community.member("ada").id), "username": "ada", "xp": 1250}
    ]
    for bad in ({"page": "0"}, {"per_page": "500"}, {"page": "x"}):
        assert (await client.get(path, params=bad)).status == 400
    assert (await client.get("/api/v1/guilds/not-an-id/leaderboard")).status == 400


@pytest.fixture
async def limited_api(
    web_database: Database, redis_url: str, redis_prefix: str
) -> AsyncIterator[TestClient[Any, Any]]:
    limits = WebSection(api_requests_per_minute=3)
    async with limited_web(web_database, redis_url, redis_prefix, limits) as client:
        yield client


async def limiter_keys(direct: redis_asyncio.Redis, prefix: str) -> list[bytes]:
    return [key async for key in direct.scan_iter(match=f"{prefix}web-api:*")]


async def test_each_client_has_its_own_budget_in_the_shared_limiter(
    limited_api: TestClient[Any, Any], redis_url: str, redis_prefix: str
) -> None:
    first = {"X-Real-IP": "203.0.113.7"}
    for _ in range(3):
        assert (await limited_api.get("/api/v1/openapi.json", headers=first)).status == 200
    refused = await limited_api.get("/api/v1/openapi.json", headers=first)
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (await refused.json())["error"] == "rate_limited"
    other = {"X-Real-IP": "198.51.100.2"}
    assert (await limited_api.get("/api/v1/openapi.json", headers=other)).status == 200
    assert (await limited_api.get("/health", headers=first)).status == 200

    # A client well under its budget is answered at once and its hit recorded in the background
    # (the limiter's fast share): the second client's key reaches Redis a moment later.
    direct = redis_asyncio.from_url(redis_url)
    try:
        async with asyncio.timeout(5):
            while len(keys := await limiter_keys(direct, redis_prefix)) < 2:  # noqa: ASYNC110  (Redis gives no event to wait on)
                await asyncio.sleep(0.05)
    finally:
        await direct.aclose()
    assert len(keys) == 2


async def test_x_real_ip_counts_only_from_a_trusted_proxy(web_database: Database) -> None:
    settings = Settings(
        database=DatabaseSection(url=SecretStr(str(web_database.url))),
        web=WebSection(api_requests_per_minute=2, trusted_proxies=[]),
    )
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, database=web_database))
    )
    await client.start_server()
    try:
        # Not a proxy of ours: every claimed address is the same peer, with one budget.
        for claimed in ("203.0.113.1", "203.0.113.2"):
            ok = await client.get("/api/v1/openapi.json", headers={"X-Real-IP": claimed})
            assert ok.status == 200
        refused = await client.get("/api/v1/openapi.json", headers={"X-Real-IP": "203.0.113.3"})
        assert refused.status == 429
    finally:
        await client.close()
