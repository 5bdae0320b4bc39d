"""Secrets never reach a log line: a bot runs a normal session and its error paths with known
secret values configured (its Discord token, the database password in the URL, Stripe and
PayPal keys), every logger at DEBUG, and no captured line (tracebacks included) holds one."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from reliability_helpers import ON_POSTGRESQL, WAIT, ProxiedUtility, chat

from botfleet.config.schema import PaymentsSection
from botfleet.sandbox import DiscordSandbox

DATABASE_PASSWORD = "db-pass-Qx7rLm2v"
STRIPE_API_KEY = "sk_test_leakcheck51HzQ"
STRIPE_WEBHOOK_SECRET = "whsec_leakcheckT9v"
PAYPAL_CLIENT_SECRET = "paypal-secret-Wm3k"
MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"


pytestmark = ON_POSTGRESQL


async def test_no_secret_reaches_a_log_line_in_a_session_with_errors(
    discord_sandbox: DiscordSandbox,
    proxied_utility: ProxiedUtility,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, general, proxy = proxied_utility.app, proxied_utility.general, proxied_utility.proxy
    alice = proxied_utility.guild.add_member("alice")
    caplog.set_level(logging.DEBUG)
    bot = proxied_utility.bot(
        password=DATABASE_PASSWORD,
        payments=PaymentsSection(
            stripe_api_key=SecretStr(STRIPE_API_KEY),
            stripe_webhook_secret=SecretStr(STRIPE_WEBHOOK_SECRET),
            paypal_client_id="leak-check",
            paypal_client_secret=SecretStr(PAYPAL_CLIENT_SECRET),
        ),
    )
    async with discord_sandbox.run_client(bot, app):
        await chat(bot, alice, general, "hello")
        answer = await (
            await alice.run_command(general, app, "remind", {"when": "in 1h", "what": "tea"})
        ).wait_for_response(timeout=WAIT)
        discord_sandbox.force_outage(MESSAGES_ROUTE, status=503, times=1)
        discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.05, times=2)
        await bot.get_partial_messageable(general.id).send("through the faults")
        proxy.cut()
        await chat(bot, alice, general, "while the database is away")
        failed = await (
            await alice.run_command(general, app, "reminders", subcommand="list")
        ).wait_for_response(timeout=WAIT)
        proxy.restore()

    assert "Reminder #1" in answer.content
    assert failed.content
    assert proxy.dropped >= 1
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    secrets = {
        "token": app.token,
        "database password": DATABASE_PASSWORD,
        "Stripe key": STRIPE_API_KEY,
        "Stripe webhook secret": STRIPE_WEBHOOK_SECRET,
        "PayPal secret": PAYPAL_CLIENT_SECRET,
    }
    leaked = [name for name, secret in secrets.items() if secret in logged]
    assert leaked == []
