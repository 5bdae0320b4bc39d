"""Every failure of the PayPal client is a PayPalError: refused connections, HTML error pages from
PayPal's edge, answers that are not JSON objects, at the token endpoint and the API alike."""

from __future__ import annotations

import pytest
from payment_helpers import PUBLIC_URL, PaymentStage, payment_settings

from botfleet.payments.paypal import PayPalError, PayPalGateway
from botfleet.payments.plans import Purchase
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import Plan, Subject

ADA = 1_234_567_890_123_456_789
PURCHASE = Purchase(ADA, Subject.user(ADA), Plan.MONTHLY)


async def test_an_outage_at_the_token_endpoint_is_a_paypal_error(stage: PaymentStage) -> None:
    stage.paypal.outage = True

    with pytest.raises(PayPalError, match="503"):
        await stage.paypal_gateway.create_subscription(PURCHASE, attempt="a")


async def test_an_html_error_page_from_the_api_is_a_paypal_error(stage: PaymentStage) -> None:
    await stage.paypal_gateway.create_subscription(PURCHASE, attempt="token-fetched")
    stage.paypal.outage = True

    with pytest.raises(PayPalError, match="503"):
        await stage.paypal_gateway.create_subscription(PURCHASE, attempt="b")
    with pytest.raises(PayPalError, match="503"):
        await stage.paypal_gateway.subscription("I-NONE")


async def test_paypal_not_answering_is_a_paypal_error() -> None:
    async with LocalStripeServer() as stripe, LocalPayPalServer() as paypal:
        settings = payment_settings(stripe, paypal)
    async with PayPalGateway(settings.payments, PUBLIC_URL) as gateway:
        with pytest.raises(PayPalError, match="did not answer"):
            await gateway.create_subscription(PURCHASE, attempt="c")
