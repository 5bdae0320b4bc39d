"""The stage of payment tests: the web process with its webhooks beside provider stand-ins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from botfleet.config.schema import PaymentsSection, Settings, WebSection
from botfleet.database import Database
from botfleet.database.models.premium import PremiumEvent, PremiumOutbox
from botfleet.payments.paypal import PayPalGateway
from botfleet.payments.stripe_client import StripeGateway
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.stripe_server import LocalStripeServer

PUBLIC_URL = "https://fleet.example"
STRIPE_PRICES = {
    "user_monthly": "price_monthly",
    "user_yearly": "price_yearly",
    "guild_monthly": "price_monthly",
}


PAYPAL_PLANS = {"user_monthly": "P-MONTHLY", "guild_yearly": "P-YEARLY"}


def payment_settings(stripe: LocalStripeServer, paypal: LocalPayPalServer) -> Settings:
    """Both providers configured against their stand-ins (PayPal's certificate host and CA)."""
    return Settings(
        web=WebSection(public_url=PUBLIC_URL),
        payments=PaymentsSection(
            stripe_api_key=SecretStr(stripe.api_key),
            stripe_webhook_secret=SecretStr(stripe.webhook_secret),
            stripe_api_base=stripe.base_url,
            stripe_prices=STRIPE_PRICES,
            paypal_client_id=paypal.client_id,
            paypal_client_secret=SecretStr(paypal.client_secret),
            paypal_api_base=paypal.base_url,
            paypal_webhook_id=paypal.webhook_id,
            paypal_plans=PAYPAL_PLANS,
            paypal_cert_hosts=["127.0.0.1"],
            paypal_ca_file=paypal.ca_file,
        ),
    )


@dataclass
class PaymentStage:
    """The Stripe and PayPal stand-ins sending their webhooks to the running web process."""

    stripe: LocalStripeServer
    paypal: LocalPayPalServer
    web: TestClient[Any, Any]
    stripe_gateway: StripeGateway
    paypal_gateway: PayPalGateway
    database: Database

    async def outcomes(self) -> dict[str, str]:
        """Each applied event's outcome, by event id."""
        async with self.database.session() as session:
            rows = await session.execute(select(PremiumEvent.event_id, PremiumEvent.outcome))
            return {event_id: outcome for event_id, outcome in rows.all()}

    async def outbox(self) -> list[tuple[int, str]]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(PremiumOutbox.user_id, PremiumOutbox.kind).order_by(PremiumOutbox.id)
            )
            return [(user_id, kind) for user_id, kind in rows.all()]
