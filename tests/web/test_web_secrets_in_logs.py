"""Secrets never reach the web process's log lines: a member logs in through Discord (the OAuth
client secret, the member's tokens), has a token renewal fail and then succeed, opens a server's
settings (read with the bots' tokens), pays through the Stripe stand-in (its API key), and forged
and refused requests hit the error paths (the webhook secret), with every logger at DEBUG."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from web_helpers import CLIENT_SECRET, BrowserFactory, local_path, logged_in, selling

from botfleet.auth.tokens import TokenStore
from botfleet.config.schema import Settings
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox
from botfleet.sandbox.stripe_server import LocalStripeServer


@pytest.fixture
def web_settings(web_settings: Settings, stripe_stand_in: LocalStripeServer) -> Settings:
    return selling(web_settings, stripe_stand_in)


async def test_no_secret_reaches_a_log_line_of_the_web_process(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    stripe_stand_in: LocalStripeServer,
    web_settings: Settings,
    token_store: TokenStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = await logged_in(browser_for, community, "ada")
    ada = community.member("ada").id
    first = await token_store.load(ada)
    assert first is not None
    await token_store.save(ada, "ada", replace(first, expires_at=datetime.now(UTC)))
    discord_sandbox.rest.fail_token_requests(502)
    assert (await browser.http.get("/guilds")).status == 503
    assert (await browser.http.get("/guilds")).status == 200
    settings = f"/guilds/{community.id}/settings"
    assert (await browser.http.get(settings)).status == 200
    forged_channel = {
        "csrf_token": await browser.csrf_token(),
        "channel_id": "1",
        "action": "enable",
    }
    assert (
        await browser.http.post(f"/guilds/{community.id}/grammar", data=forged_channel)
    ).status == 400
    form = {
        "csrf_token": await browser.csrf_token(),
        "attempt": "attempt-1",
        "provider": "stripe",
        "plan": "user_monthly",
    }
    paid = await browser.http.post("/premium/checkout", data=form, allow_redirects=False)
    forged = await browser.http.post(
        "/webhooks/stripe",
        data=b'{"type": "checkout.session.completed"}',
        headers={"Stripe-Signature": "t=1,v1=forged"},
    )
    intruder = await browser_for()
    authorize_url = await intruder.go_to_discord("/profile")
    callback = await intruder.consent(authorize_url, community.member("bert").id)
    parts = urlsplit(callback)
    stolen_state = dict(parse_qsl(parts.query), state="not-the-state-we-sent")
    refused = await intruder.http.get(
        local_path(parts._replace(query=urlencode(stolen_state)).geturl()), allow_redirects=False
    )

    assert paid.status == 303
    assert forged.status == 400
    assert refused.status >= 400
    grants = discord_sandbox.rest.oauth2.grants
    auth = web_settings.auth
    bot_tokens = web_settings.web.bot_tokens.items()
    assert bot_tokens
    assert auth.token_keys is not None
    secrets = {
        "OAuth client secret": CLIENT_SECRET,
        "token keys": auth.token_keys.get_secret_value(),
        "Stripe key": stripe_stand_in.api_key,
        "Stripe webhook secret": stripe_stand_in.webhook_secret,
        **{f"access token {n}": grant.access_token for n, grant in enumerate(grants)},
        **{f"refresh token {n}": grant.refresh_token for n, grant in enumerate(grants)},
        "first access token": first.access_token,
        "first refresh token": first.refresh_token,
        **{f"{name} bot token": token.get_secret_value() for name, token in bot_tokens},
    }
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    leaked = [name for name, secret in secrets.items() if secret and secret in logged]
    assert leaked == []
