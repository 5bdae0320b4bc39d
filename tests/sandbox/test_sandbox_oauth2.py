"""The stand-in's OAuth2 endpoints answer as Discord does, errors included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from botfleet.sandbox.resources.oauth2 import pkce_challenge
from botfleet.sandbox.server import DiscordSandbox

CLIENT_ID = 4242
SECRET = "s3cret"
REDIRECT = "http://127.0.0.1:9/oauth2/callback"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def member_id(discord_sandbox: DiscordSandbox) -> int:
    discord_sandbox.rest.register_oauth2_client(CLIENT_ID, [REDIRECT], SECRET)
    guild = discord_sandbox.create_guild("Club", owner_name="olive")
    return guild.add_member("ada").id


async def authorize(
    http: aiohttp.ClientSession, sandbox: DiscordSandbox, user_id: int, **extra: str
) -> dict[str, str]:
    fields = {
        "response_type": "code",
        "client_id": str(CLIENT_ID),
        "scope": "identify",
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "user_id": str(user_id),
        "authorize": "true",
        **extra,
    }
    async with http.post(
        sandbox.url + "/oauth2/authorize", data=fields, allow_redirects=False
    ) as answer:
        assert answer.status == 302
        return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


async def token_call(
    http: aiohttp.ClientSession, sandbox: DiscordSandbox, **kwargs: Any
) -> tuple[int, Any]:
    async with http.post(sandbox.url + "/api/v10/oauth2/token", **kwargs) as answer:
        return answer.status, await answer.json()


async def test_the_consent_page_refuses_an_unregistered_redirect_uri(
    http: aiohttp.ClientSession, discord_sandbox: DiscordSandbox, member_id: int
) -> None:
    query = {
        "response_type": "code",
        "client_id": str(CLIENT_ID),
        "scope": "identify",
        "redirect_uri": "https://evil.example/cb",
    }
    async with http.get(discord_sandbox.url + "/oauth2/authorize", params=query) as page:
        assert page.status == 400
        assert "Invalid OAuth2 redirect_uri" in await page.text()
    query["redirect_uri"] = REDIRECT
    async with http.get(discord_sandbox.url + "/oauth2/authorize", params=query) as page:
        assert page.status == 200
        assert "ada" in await page.text()


async def test_the_token_endpoint_takes_form_encoding_and_client_credentials(
    http: aiohttp.ClientSession, discord_sandbox: DiscordSandbox, member_id: int
) -> None:
    code = (await authorize(http, discord_sandbox, member_id))["code"]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    status, body = await token_call(
        http, discord_sandbox, json={**grant, "client_id": CLIENT_ID, "client_secret": SECRET}
    )
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body = await token_call(
        http, discord_sandbox, data={**grant, "client_id": str(CLIENT_ID), "client_secret": "no"}
    )
    assert (status, body) == (401, {"error": "invalid_client"})
    status, body = await token_call(
        http,
        discord_sandbox,
        data={**grant, "client_id": str(CLIENT_ID), "client_secret": SECRET},
    )
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 604_800
    assert body["scope"] == "identify"

    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with http.get(discord_sandbox.api_base + "/users/@me", headers=headers) as me:
        assert (await me.json())["username"] == "ada"
    async with http.get(discord_sandbox.api_base + "/users/@me/guilds", headers=headers) as guilds:
        assert guilds.status == 401  # the grant lacks the guilds scope


async def test_pkce_plain_and_s256_challenges_are_checked(
    http: aiohttp.ClientSession, discord_sandbox: DiscordSandbox, member_id: int
) -> None:
    verifier = "v" * 50
    answer = await authorize(
        http,
        discord_sandbox,
        member_id,
        code_challenge=pkce_challenge(verifier, "S256"),
        code_challenge_method="S256",
    )
    assert answer["state"] == "xyz"
    auth = {"Authorization": aiohttp.encode_basic_auth(str(CLIENT_ID), SECRET)}
    grant = {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT}
    status, body = await token_call(http, discord_sandbox, data=grant, headers=auth)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await token_call(
        http, discord_sandbox, data={**grant, "code_verifier": verifier}, headers=auth
    )
    assert status == 200


async def test_a_refresh_token_is_spent_by_its_first_use_and_forced_failures_leave_it_unspent(
    http: aiohttp.ClientSession, discord_sandbox: DiscordSandbox, member_id: int
) -> None:
    code = (await authorize(http, discord_sandbox, member_id))["code"]
    auth = {"Authorization": aiohttp.encode_basic_auth(str(CLIENT_ID), SECRET)}
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    _, first = await token_call(http, discord_sandbox, data=grant, headers=auth)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    discord_sandbox.rest.fail_token_requests(502)
    discord_sandbox.rest.fail_token_requests(429, retry_after=2.5)

    async with http.post(
        discord_sandbox.url + "/api/oauth2/token", data=refresh, headers=auth
    ) as edge:
        assert (edge.status, edge.content_type) == (502, "text/html")
    async with http.post(
        discord_sandbox.url + "/api/oauth2/token", data=refresh, headers=auth
    ) as limited:
        assert limited.status == 429 and limited.headers["Retry-After"] == "3"
        assert (await limited.json())["retry_after"] == 2.5
    status, renewed = await token_call(http, discord_sandbox, data=refresh, headers=auth)
    assert status == 200 and renewed["refresh_token"] != first["refresh_token"]
    status, again = await token_call(http, discord_sandbox, data=refresh, headers=auth)
    assert (status, again["error"]) == (400, "invalid_grant")
    assert discord_sandbox.rest.oauth2.refresh_requests == 2
    with pytest.raises(ValueError, match="5xx or a 429"):
        discord_sandbox.rest.fail_token_requests(404)
