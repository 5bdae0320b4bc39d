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
from botfleet.payments.stripe_client import StripeGateway
from botfleet.sandbox.stripe_server import LocalStripeServer

PUBLIC_URL = "https://fleet.example"
STRIPE_PRICES = {
    "user_monthly": "price_monthly",
    "user_yearly": "price_yearly",
    "guild_monthly": "price_monthly",
}


def payment_settings(stripe_base: str, **payments: Any) -> Settings:
    return Settings(
        web=WebSection(public_url=PUBLIC_URL),
        payments=PaymentsSection(
            stripe_api_key=SecretStr("sk_test_local"),
            stripe_webhook_secret=SecretStr("whsec_local"),
            stripe_api_base=stripe_base,
            stripe_prices=STRIPE_PRICES,
            **payments,
        ),
    )


@dataclass
class StripeStage:
    """The Stripe stand-in sending its webhooks to the running web process."""

    stripe: LocalStripeServer
    web: TestClient[Any, Any]
    gateway: StripeGateway
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
