"""The web process with its webhooks, beside a Stripe stand-in, on the test's own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from payment_helpers import PUBLIC_URL, StripeStage, payment_settings

from botfleet.database import Database
from botfleet.payments.stripe_client import StripeGateway
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.web import create_app


@pytest.fixture
async def stripe_stage(database: Database) -> AsyncIterator[StripeStage]:
    async with LocalStripeServer() as stripe:
        settings = payment_settings(stripe.base_url)
        web: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, database=database, redis=None))
        )
        await web.start_server()
        stripe.webhook_url = str(web.make_url("/webhooks/stripe"))
        gateway = StripeGateway(settings.payments, PUBLIC_URL)
        try:
            yield StripeStage(stripe, web, gateway, database)
        finally:
            await gateway.close()
            await web.close()
