"""A member's Discord token that cannot be renewed now is kept; only a dead grant logs them out.

Discord's token endpoint is the stand-in's, made to fail as Discord's does (a 5xx page from its
edge, a 429), or reached through a relay of our own on 127.0.0.1 that the test stops (nothing
listening). Discord rotates refresh tokens, so two renewals of one token at once would spend it
twice: the second is ``invalid_grant``, which would log the member out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import update
from web_helpers import Browser, BrowserFactory, logged_in

from botfleet.auth.oauth2 import DiscordOAuth2Client, OAuth2Config
from botfleet.auth.refresh import RefreshClaims, usable_access_token
from botfleet.auth.tokens import DiscordTokens, TokenStore
from botfleet.cache import ResilientRedis
from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.database.models import User
from botfleet.sandbox.local_http import LocalHTTPServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox

KIND_ANSWER = "Discord is not answering"


class TokenRelay(LocalHTTPServer):
    """Passes token requests on to the Discord stand-in, until it is stopped."""

    def __init__(self, token_url: str) -> None:
        self.token_url = token_url
        super().__init__()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self._relay)

    async def _relay(self, request: web.Request) -> web.Response:
        headers = {"Authorization": request.headers.get("Authorization", "")}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.token_url, data=await request.post(), headers=headers) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )


@pytest.fixture
async def relay(discord_sandbox: DiscordSandbox) -> AsyncIterator[TokenRelay]:
    async with TokenRelay(discord_sandbox.url + "/api/oauth2/token") as server:
        yield server


@pytest.fixture
def web_settings(web_settings: Settings, relay: TokenRelay) -> Settings:
    auth = web_settings.auth.model_copy(update={"token_url": relay.origin + "/token"})
    return web_settings.model_copy(update={"auth": auth})


async def expire_tokens(
    store: TokenStore, user_id: int, *, left: timedelta = timedelta(hours=-1)
) -> DiscordTokens:
    """Make the member's stored tokens expire ``left`` from now (past by default)."""
    tokens = await store.load(user_id)
    assert tokens is not None
    changed = dataclasses.replace(tokens, expires_at=datetime.now(UTC) + left)
    await store.save(user_id, "ada", changed)
    return changed


@dataclasses.dataclass
class ExpiredLogin:
    """Ada, logged in on ``browser``, whose stored ``tokens`` expired an hour ago."""

    browser: Browser
    user_id: int
    tokens: DiscordTokens


@pytest.fixture
async def expired_login(
    browser_for: BrowserFactory, community: SandboxGuild, token_store: TokenStore
) -> ExpiredLogin:
    ada = community.member("ada").id
    browser = await logged_in(browser_for, community, "ada")
    return ExpiredLogin(browser, ada, await expire_tokens(token_store, ada))


async def still_logged_in(browser: Browser) -> bool:
    return "Log out" in await (await browser.http.get("/")).text()


@pytest.mark.parametrize("status", [502, 503, 429])
async def test_a_discord_failure_during_a_renewal_keeps_the_tokens_and_the_next_request_renews(
    expired_login: ExpiredLogin,
    token_store: TokenStore,
    discord_sandbox: DiscordSandbox,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    browser, ada, expired = expired_login.browser, expired_login.user_id, expired_login.tokens
    discord_sandbox.rest.fail_token_requests(status)

    with caplog.at_level(logging.WARNING, logger="botfleet.auth.refresh"):
        refused = await browser.http.get("/guilds", allow_redirects=False)

    assert refused.status == 503
    assert KIND_ANSWER in await refused.text()
    assert f"Discord did not renew user {ada}'s token" in caplog.text
    assert await token_store.load(ada) == expired, "the stored tokens are kept"
    assert await still_logged_in(browser)
    renewed = await browser.http.get("/guilds", allow_redirects=False)
    assert renewed.status == 200
    assert "Readers&#39; Club" in await renewed.text()
    stored = await token_store.load(ada)
    assert stored is not None and stored.refresh_token != expired.refresh_token
    assert discord_sandbox.rest.oauth2.refresh_requests == 1


async def test_a_renewal_that_cannot_reach_discord_keeps_the_login(
    expired_login: ExpiredLogin,
    token_store: TokenStore,
    relay: TokenRelay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser, ada, expired = expired_login.browser, expired_login.user_id, expired_login.tokens
    await relay.stop()

    with caplog.at_level(logging.WARNING, logger="botfleet.auth.refresh"):
        response = await browser.http.get("/guilds", allow_redirects=False)

    assert response.status == 503
    assert KIND_ANSWER in await response.text()
    assert f"Discord could not be reached to renew user {ada}'s token" in caplog.text
    assert await token_store.load(ada) == expired
    assert await still_logged_in(browser)


async def test_a_token_still_valid_is_used_while_discord_cannot_renew_it(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    token_store: TokenStore,
    discord_sandbox: DiscordSandbox,
) -> None:
    ada = community.member("ada").id
    browser = await logged_in(browser_for, community, "ada")
    expiring = await expire_tokens(token_store, ada, left=timedelta(hours=3))
    discord_sandbox.rest.fail_token_requests(500)

    response = await browser.http.get("/guilds", allow_redirects=False)

    assert response.status == 200, "the access token works for three more hours"
    assert "Readers&#39; Club" in await response.text()
    assert await token_store.load(ada) == expiring
    assert (await browser.http.get("/guilds")).status == 200
    renewed = await token_store.load(ada)
    assert renewed is not None and renewed.refresh_token != expiring.refresh_token


async def test_a_dead_refresh_token_forgets_the_tokens_and_sends_the_member_to_log_in(
    expired_login: ExpiredLogin, token_store: TokenStore, discord_sandbox: DiscordSandbox
) -> None:
    browser, ada = expired_login.browser, expired_login.user_id
    discord_sandbox.rest.oauth2.grants[-1].revoked = True  # the refresh answers invalid_grant

    response = await browser.http.get("/guilds", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/guilds"
    assert await token_store.load(ada) is None
    assert not await still_logged_in(browser)


async def test_two_requests_of_one_member_renew_the_token_once(
    expired_login: ExpiredLogin, token_store: TokenStore, discord_sandbox: DiscordSandbox
) -> None:
    browser, ada = expired_login.browser, expired_login.user_id
    discord_sandbox.rest.oauth2.token_latency = 0.3  # both requests find the old tokens

    first, second = await asyncio.gather(
        browser.http.get("/guilds", allow_redirects=False),
        browser.http.get("/guilds", allow_redirects=False),
    )

    assert (first.status, second.status) == (200, 200)
    assert discord_sandbox.rest.oauth2.refresh_requests == 1
    assert await token_store.load(ada) is not None


async def test_two_web_processes_renew_one_members_token_once(
    expired_login: ExpiredLogin,
    token_store: TokenStore,
    discord_sandbox: DiscordSandbox,
    web_settings: Settings,
    redis_url: str,
    redis_prefix: str,
) -> None:
    ada = expired_login.user_id
    discord_sandbox.rest.oauth2.token_latency = 0.3
    config = OAuth2Config.from_settings(web_settings)
    redis_links = [ResilientRedis.from_url(redis_url, retry_interval=5) for _ in range(2)]
    try:
        async with aiohttp.ClientSession() as http:
            processes = [
                (DiscordOAuth2Client(config, http), RefreshClaims(redis, redis_prefix))
                for redis in redis_links
            ]
            tokens = await asyncio.gather(
                *(
                    usable_access_token(client, token_store, claims, ada)
                    for client, claims in processes
                )
            )
    finally:
        for redis in redis_links:
            await redis.close()

    assert tokens[0] == tokens[1]
    assert discord_sandbox.rest.oauth2.refresh_requests == 1
    stored = await token_store.load(ada)
    assert stored is not None and stored.access_token == tokens[0]


async def test_a_renewal_changes_the_tokens_and_nothing_else_of_the_member(
    expired_login: ExpiredLogin, token_store: TokenStore, web_database: Database
) -> None:
    ada = expired_login.user_id
    async with web_database.session() as session:
        await session.execute(update(User).where(User.id == ada).values(username="ada_reads"))
        await session.commit()

    assert (await expired_login.browser.http.get("/guilds")).status == 200

    async with web_database.session() as session:
        row = await session.get(User, ada)
    assert row is not None and row.username == "ada_reads", "the bots' name for the member"
    renewed = await token_store.load(ada)
    assert renewed is not None and renewed.refresh_token != expired_login.tokens.refresh_token
