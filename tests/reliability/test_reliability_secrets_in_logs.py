"""Secrets never reach a log line: a bot runs a normal session and its error paths with known
secret values configured (its Discord token, the database password in the URL, Stripe and
PayPal keys), every logger at DEBUG, and no captured line (tracebacks included) holds one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from reliability_helpers import WAIT, chat
from sqlalchemy.engine import make_url

from botfleet import get_definition
from botfleet.config.schema import BotSection, DatabaseSection, PaymentsSection
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.tcp_proxy import CuttableProxy

DATABASE_PASSWORD = "db-pass-Qx7rLm2v"
STRIPE_API_KEY = "sk_test_leakcheck51HzQ"
STRIPE_WEBHOOK_SECRET = "whsec_leakcheckT9v"
PAYPAL_CLIENT_SECRET = "paypal-secret-Wm3k"
MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_no_secret_reaches_a_log_line_in_a_session_with_errors(
    discord_sandbox: DiscordSandbox,
    proxied_url: tuple[str, CuttableProxy],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, proxy = proxied_url
    app = discord_sandbox.add_application(get_definition("utility").display_name)
    guild = discord_sandbox.create_guild("Leak Club", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    with_password = make_url(url).set(password=DATABASE_PASSWORD)
    settings = fleet_test_settings(
        "utility",
        tmp_path,
        database=DatabaseSection(url=SecretStr(with_password.render_as_string(False))),
        bot=BotSection(guild_ready_timeout=0.05, data_dir=str(tmp_path)),
        payments=PaymentsSection(
            stripe_api_key=SecretStr(STRIPE_API_KEY),
            stripe_webhook_secret=SecretStr(STRIPE_WEBHOOK_SECRET),
            paypal_client_id="leak-check",
            paypal_client_secret=SecretStr(PAYPAL_CLIENT_SECRET),
        ),
    )
    caplog.set_level(logging.DEBUG)
    bot = FleetBot(get_definition("utility"), settings)
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
