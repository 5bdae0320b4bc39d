"""/subscribe and /premium end to end: the Utility Bot on the Discord stand-in, the web process and
the Stripe and PayPal stand-ins on one database; the confirmation DM sent from the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select

from botfleet.config.schema import PaymentsSection, Settings, WebSection
from botfleet.core.bot import FleetBot
from botfleet.database import Database
from botfleet.database.models import User
from botfleet.database.models.premium import PremiumOutbox
from botfleet.sandbox import Application, SandboxChannel, SandboxMember
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import PremiumService, Subject
from botfleet.web import create_app

PUBLIC_URL = "https://fleet.example"


def premium_settings(
    stage: FleetBotStage, stripe: LocalStripeServer, paypal: LocalPayPalServer
) -> Settings:
    return fleet_test_settings(
        "utility",
        stage.directory,
        options={"premium_outbox_seconds": 0.1},
        web=WebSection(public_url=PUBLIC_URL),
        payments=PaymentsSection(
            stripe_api_key=SecretStr(stripe.api_key),
            stripe_webhook_secret=SecretStr(stripe.webhook_secret),
            stripe_api_base=stripe.base_url,
            stripe_prices={"user_monthly": "price_monthly", "guild_yearly": "price_yearly"},
            paypal_client_id=paypal.client_id,
            paypal_client_secret=SecretStr(paypal.client_secret),
            paypal_api_base=paypal.base_url,
            paypal_webhook_id=paypal.webhook_id,
            paypal_plans={"user_monthly": "P-MONTHLY"},
            paypal_cert_hosts=["127.0.0.1"],
            paypal_ca_file=paypal.ca_file,
        ),
    )


@asynccontextmanager
async def fleet_with_payments(stage: FleetBotStage) -> AsyncIterator[tuple[FleetBot[Any], Any]]:
    """The Utility Bot, and the web process on its database receiving the stand-ins' webhooks."""
    async with LocalStripeServer() as stripe, LocalPayPalServer() as paypal:
        settings = premium_settings(stage, stripe, paypal)
        async with stage.running(settings) as bot:
            web: TestClient[Any, Any] = TestClient(
                TestServer(create_app(settings, database=bot.database, redis=None))
            )
            await web.start_server()
            stripe.webhooks.url = str(web.make_url("/webhooks/stripe"))
            paypal.webhooks.url = str(web.make_url("/webhooks/paypal"))
            try:
                yield bot, (stripe, paypal)
            finally:
                await web.close()


async def run(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    command: str,
    options: dict[str, Any] | None = None,
) -> Any:
    handle = await member.run_command(channel, app, command, options or {})
    return await handle.wait_for_message()


def links_of(message: Any) -> list[str]:
    """The URLs of the message's link buttons."""
    (row,) = message.components
    return [str(button["url"]) for button in row["components"]]


def link_of(message: Any) -> str:
    (url,) = links_of(message)
    return url


async def follow_and_pay(link: str) -> None:
    """The member opens the page (payment, portal) and presses its button."""
    async with aiohttp.ClientSession() as session:
        async with session.get(link) as page:
            assert page.status == 200
        async with session.post(link, allow_redirects=False) as paid:
            assert paid.status == 303


async def test_subscribe_pay_and_get_the_confirmation_by_dm(
    stage: FleetBotStage, app: Application, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with fleet_with_payments(stage) as (bot, _stand_ins):
        before = await run(alice, general, app, "premium")
        assert before.ephemeral
        assert "You: no premium." in before.content
        assert link_of(before) == f"{PUBLIC_URL}/login?next=/premium"

        offer = await run(alice, general, app, "subscribe", {"plan": "monthly"})
        assert offer.ephemeral and "Stripe" in offer.content
        await follow_and_pay(link_of(offer))

        dm = await alice.dm_with(app).wait_for_message(author=app, timeout=10)
        assert "Thank you!" in dm.content
        assert await bot.premium.is_active(Subject.user(alice.id))
        after = await run(alice, general, app, "premium")
        assert "You: premium, renews on <t:" in after.content
        portal, login = links_of(after)
        assert login == f"{PUBLIC_URL}/login?next=/premium"

        await follow_and_pay(portal)  # "Cancel subscription" in Stripe's portal
        ending = await run(alice, general, app, "premium")
        assert "it will not renew" in ending.content
        assert await bot.premium.is_active(Subject.user(alice.id)), "paid to the period's end"


async def test_a_paypal_subscription_for_the_member(
    stage: FleetBotStage, app: Application, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with fleet_with_payments(stage) as (bot, _stand_ins):
        offer = await run(alice, general, app, "subscribe", {"provider": "paypal"})
        assert "PayPal" in offer.content
        await follow_and_pay(link_of(offer))

        dm = await alice.dm_with(app).wait_for_message(author=app, timeout=10)
        assert "Thank you!" in dm.content
        membership = await bot.premium.membership(Subject.user(alice.id))
        assert membership is not None and membership.provider == "paypal"


async def test_closed_dms_keep_premium_and_mark_the_message(
    stage: FleetBotStage, app: Application, general: SandboxChannel
) -> None:
    private = stage.guild.add_member("private", accepts_dms=False)
    async with fleet_with_payments(stage) as (bot, _stand_ins):
        offer = await run(private, general, app, "subscribe", {"plan": "monthly"})
        await follow_and_pay(link_of(offer))

        marked = await undeliverable(bot.database, private.id)
        assert marked == "dms_closed"
        assert await PremiumService(bot.database).is_active(Subject.user(private.id))


async def test_plans_and_providers_not_offered_are_refused_kindly(
    stage: FleetBotStage, app: Application, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with fleet_with_payments(stage):
        refused = await run(
            alice, general, app, "subscribe", {"plan": "yearly", "provider": "paypal"}
        )
        assert refused.ephemeral
        assert "not offered through PayPal" in refused.content


async def test_a_paypal_outage_gets_a_kind_answer(
    stage: FleetBotStage, app: Application, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with fleet_with_payments(stage) as (_bot, (_stripe, paypal)):
        paypal.outage = True
        refused = await run(alice, general, app, "subscribe", {"provider": "paypal"})
        assert refused.ephemeral
        assert "Payments are not available right now" in refused.content


async def test_a_logged_in_member_gets_the_manage_link(
    stage: FleetBotStage, app: Application, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with fleet_with_payments(stage) as (bot, _stand_ins):
        async with bot.database.session() as session:
            session.add(User(id=alice.id, username="alice", access_token="token-from-login"))
            await session.commit()
        status = await run(alice, general, app, "premium")
        assert link_of(status) == f"{PUBLIC_URL}/premium"


async def undeliverable(database: Database, user_id: int) -> str | None:
    """The outbox's reason for not delivering ``user_id``'s message, once it gave up."""
    statement = select(PremiumOutbox.undeliverable).where(
        PremiumOutbox.user_id == user_id, PremiumOutbox.sent_at.is_not(None)
    )
    async with asyncio.timeout(10):
        while True:
            async with database.session() as session:
                reason = await session.scalar(statement)
            if reason is not None:
                return reason
            await asyncio.sleep(0.05)
