"""The web process with its webhooks, beside Stripe and PayPal stand-ins, on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from payment_helpers import PUBLIC_URL, PaymentStage, payment_settings

from botfleet.database import Database
from botfleet.payments.paypal import PayPalGateway
from botfleet.payments.stripe_client import StripeGateway
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.web import create_app


@pytest.fixture
async def stage(database: Database) -> AsyncIterator[PaymentStage]:
    async with LocalStripeServer() as stripe, LocalPayPalServer() as paypal:
        settings = payment_settings(stripe, paypal)
        web: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, database=database, redis=None))
        )
        await web.start_server()
        stripe.webhooks.url = str(web.make_url("/webhooks/stripe"))
        paypal.webhooks.url = str(web.make_url("/webhooks/paypal"))
        async with (
            StripeGateway(settings.payments, PUBLIC_URL) as stripe_gateway,
            PayPalGateway(settings.payments, PUBLIC_URL) as paypal_gateway,
        ):
            try:
                yield PaymentStage(stripe, paypal, web, stripe_gateway, paypal_gateway, database)
            finally:
                await web.close()
