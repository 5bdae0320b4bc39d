"""Logging in to the dashboard through the Discord OAuth2 stand-in, and what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
from web_helpers import BrowserFactory, local_path

from botfleet.auth.oauth2 import PKCE, DiscordOAuth2Client, OAuth2Config, OAuth2Error
from botfleet.auth.refresh import RefreshClaims, usable_access_token
from botfleet.auth.tokens import TokenStore
from botfleet.config.schema import Settings
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


async def test_login_stores_encrypted_tokens_and_sets_a_strict_cookie(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    token_store: TokenStore,
) -> None:
    ada = community.member("ada")
    browser = await browser_for()
    authorize_url = await browser.go_to_discord("/profile")
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    assert authorize_url.startswith(discord_sandbox.url + "/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "identify guilds"
    assert len(query["state"]) >= 32

    callback = await browser.consent(authorize_url, ada.id)
    response = await browser.http.get(local_path(callback), allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/profile"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie

    grant = discord_sandbox.rest.oauth2.grants[-1]
    tokens = await token_store.load(ada.id)
    assert tokens is not None
    assert tokens.access_token == grant.access_token
    assert tokens.refresh_token == grant.refresh_token
    home = await (await browser.http.get("/")).text()
    assert "ada" in home and "Log out" in home


async def test_a_forged_state_is_refused_before_any_code_is_spent(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    token_store: TokenStore,
) -> None:
    ada = community.member("ada")
    browser = await browser_for()
    callback = await browser.consent(await browser.go_to_discord(), ada.id)
    forged = with_query(callback, state="forged-by-someone-else")
    response = await browser.http.get(local_path(forged), allow_redirects=False)
    assert response.status == 400
    assert "not valid here" in await response.text()
    assert discord_sandbox.rest.oauth2.grants == []
    assert await token_store.load(ada.id) is None
    # The real callback after the forged one is refused too: the pending login was spent.
    again = await browser.http.get(local_path(callback), allow_redirects=False)
    assert again.status == 400


async def test_a_replayed_callback_is_refused_in_the_same_and_in_another_browser(
    browser_for: BrowserFactory, community: SandboxGuild, discord_sandbox: DiscordSandbox
) -> None:
    ada = community.member("ada")
    browser = await browser_for()
    trip = await browser.log_in(ada.id)
    replay = await browser.http.get(local_path(trip.callback_url), allow_redirects=False)
    assert replay.status == 400
    elsewhere = await browser_for()
    stolen = await elsewhere.http.get(local_path(trip.callback_url), allow_redirects=False)
    assert stolen.status == 400
    assert len(discord_sandbox.rest.oauth2.grants) == 1


async def test_a_cancelled_consent_logs_nobody_in(
    browser_for: BrowserFactory, community: SandboxGuild
) -> None:
    browser = await browser_for()
    callback = await browser.consent(
        await browser.go_to_discord(), community.member("ada").id, approve=False
    )
    assert "error=access_denied" in callback
    response = await browser.http.get(local_path(callback), allow_redirects=False)
    assert response.status == 403
    assert "Log out" not in await (await browser.http.get("/")).text()


async def test_next_never_leaves_the_dashboard(browser_for: BrowserFactory) -> None:
    browser = await browser_for()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        authorize_url = await browser.go_to_discord(target)
        assert authorize_url.startswith("http://127.0.0.1")
    session = browser.jar.filter_cookies(browser.http.make_url("/"))
    assert "botfleet_session" in session


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example"])
async def test_a_login_never_returns_to_a_path_a_browser_would_read_as_another_site(
    browser_for: BrowserFactory, community: SandboxGuild, target: str
) -> None:
    browser = await browser_for()
    authorize_url = await browser.go_to_discord(target)
    callback = await browser.consent(authorize_url, community.member("ada").id)

    response = await browser.http.get(local_path(callback), allow_redirects=False)

    assert response.status == 303
    # Browsers drop tabs and line breaks from a Location: "/\t/evil.example" is another site.
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("status", [502, 429])
async def test_a_login_discord_fails_to_finish_is_answered_as_discords_failure(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    status: int,
) -> None:
    browser = await browser_for()
    callback = await browser.consent(await browser.go_to_discord(), community.member("ada").id)
    discord_sandbox.rest.fail_token_requests(status)

    response = await browser.http.get(local_path(callback), allow_redirects=False)

    assert response.status == 502
    page = await response.text()
    assert "Discord is not answering just now. Log in again in a minute." in page
    assert "refused" not in page
    await browser.log_in(community.member("ada").id)


async def test_logout_revokes_the_authorisation_and_needs_the_csrf_token(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    token_store: TokenStore,
) -> None:
    ada = community.member("ada")
    browser = await browser_for()
    await browser.log_in(ada.id)
    grant = discord_sandbox.rest.oauth2.grants[-1]

    refused = await browser.http.post("/logout", data={"csrf_token": "guess"})
    assert refused.status == 403
    assert not grant.revoked

    token = await browser.csrf_token()
    response = await browser.http.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 303
    assert grant.revoked
    assert await token_store.load(ada.id) is None
    async with (
        aiohttp.ClientSession() as discord,
        discord.get(
            discord_sandbox.api_base + "/users/@me",
            headers={"Authorization": f"Bearer {grant.access_token}"},
        ) as me,
    ):
        assert me.status == 401
        assert await me.json() == {"message": "401: Unauthorized", "code": 0}
    assert "Log in with Discord" in await (await browser.http.get("/")).text()


@pytest.fixture
async def oauth_client(
    web_settings: Settings,
) -> AsyncIterator[DiscordOAuth2Client]:
    async with aiohttp.ClientSession() as http:
        yield DiscordOAuth2Client(OAuth2Config.from_settings(web_settings), http)


async def code_for(
    discord_sandbox: DiscordSandbox, config: OAuth2Config, user_id: int, pkce: PKCE
) -> str:
    fields = {
        "response_type": "code",
        "client_id": str(config.client_id),
        "scope": "identify guilds",
        "redirect_uri": config.redirect_uri,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "user_id": str(user_id),
        "authorize": "true",
    }
    async with (
        aiohttp.ClientSession() as discord,
        discord.post(
            discord_sandbox.url + "/oauth2/authorize", data=fields, allow_redirects=False
        ) as answer,
    ):
        return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))["code"]


async def test_a_wrong_code_verifier_is_refused(
    oauth_client: DiscordOAuth2Client, discord_sandbox: DiscordSandbox, community: SandboxGuild
) -> None:
    pkce = PKCE.create()
    code = await code_for(discord_sandbox, oauth_client.config, community.member("ada").id, pkce)
    with pytest.raises(OAuth2Error) as refused:
        await oauth_client.exchange_code(code, PKCE.create().verifier)
    assert (refused.value.status, refused.value.error) == (400, "invalid_grant")
    assert "code_verifier" in refused.value.description
    tokens = await oauth_client.exchange_code(code, pkce.verifier)
    assert (await oauth_client.account(tokens.access_token)).username == "ada"
    with pytest.raises(OAuth2Error, match="invalid_grant"):
        await oauth_client.exchange_code(code, pkce.verifier)


async def test_tokens_are_refreshed_a_day_before_they_expire(
    oauth_client: DiscordOAuth2Client,
    discord_sandbox: DiscordSandbox,
    community: SandboxGuild,
    token_store: TokenStore,
) -> None:
    ada = community.member("ada")
    pkce = PKCE.create()
    code = await code_for(discord_sandbox, oauth_client.config, ada.id, pkce)
    first = await oauth_client.exchange_code(code, pkce.verifier)
    assert first.expires_at - datetime.now(UTC) > timedelta(days=6, hours=23)
    store, claims = token_store, RefreshClaims(None, "test:")
    await store.save(ada.id, "ada", first)
    assert await usable_access_token(oauth_client, store, claims, ada.id) == (first.access_token)

    oauth_client.clock = lambda: datetime.now(UTC) + timedelta(days=6, hours=12)
    renewed = await usable_access_token(oauth_client, store, claims, ada.id)
    assert renewed != first.access_token
    with pytest.raises(OAuth2Error) as old:
        await oauth_client.account(first.access_token)
    assert old.value.status == 401
    guilds = await oauth_client.guilds(renewed)
    assert [(guild.name, guild.can_manage) for guild in guilds] == [("Readers' Club", True)]
