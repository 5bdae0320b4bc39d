"""A member whose Discord token cannot be renewed is sent to log in again, not shown an error.

Discord's token endpoint is reached through a relay of our own on 127.0.0.1, which the test
stops after the login: the renewal of the member's token then finds nothing listening.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from web_helpers import BrowserFactory, logged_in

from botfleet.auth.tokens import TokenStore
from botfleet.config.schema import Settings
from botfleet.sandbox.local_http import LocalHTTPServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox


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


async def test_a_renewal_that_cannot_reach_discord_sends_the_member_to_log_in(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    token_store: TokenStore,
    relay: TokenRelay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ada = community.member("ada").id
    browser = await logged_in(browser_for, community, "ada")
    tokens = await token_store.load(ada)
    assert tokens is not None
    expiring = dataclasses.replace(tokens, expires_at=datetime.now(UTC) + timedelta(hours=1))
    await token_store.save(ada, "ada", expiring)
    await relay.stop()

    with caplog.at_level(logging.WARNING, logger="botfleet.web.pages"):
        response = await browser.http.get("/guilds", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/guilds"
    assert "renewing the Discord token of user" in caplog.text
    profile = await browser.http.get("/profile", allow_redirects=False)
    assert profile.headers["Location"] == "/login?next=/profile", "the session was ended"
