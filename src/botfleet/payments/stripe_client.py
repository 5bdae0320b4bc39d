"""Stripe through its official package: Checkout Sessions, subscriptions and charges, async.

``StripeClient`` runs on its aiohttp HTTP client with the ``*_async`` methods, so nothing blocks
the event loop; ``base_addresses`` points it at a stand-in in tests. Every creating request
carries an idempotency key of ours, so a retried request never makes a second session.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Self

import stripe

from botfleet.config.schema import PaymentsSection
from botfleet.payments.errors import PaymentsNotConfiguredError, StripeCustomerGoneError
from botfleet.payments.plans import Purchase, price_of

log = logging.getLogger(__name__)


class StripeGateway:
    """The Stripe calls botfleet makes; one per process, closed with :meth:`close`."""

    def __init__(self, settings: PaymentsSection, public_url: str) -> None:
        if settings.stripe_api_key is None:
            raise PaymentsNotConfiguredError("Stripe needs STRIPE_API_KEY")
        self.settings = settings
        self.public_url = public_url.rstrip("/")
        self._http = stripe.AIOHTTPClient()
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self.client = stripe.StripeClient(
            settings.stripe_api_key.get_secret_value(),
            base_addresses=base,  # type: ignore[arg-type]
            http_client=self._http,
            max_network_retries=2,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def create_checkout(
        self, purchase: Purchase, *, attempt: str | None = None, customer: str | None = None
    ) -> str:
        """A Checkout Session for ``purchase``; returns the page's URL to send the member.

        ``attempt`` names one attempt of the member's (the interaction id): a retry of it
        reuses the session Stripe made the first time instead of making another. ``customer``
        is the member's Stripe customer from an earlier purchase: their subscriptions stay
        together in one Customer Portal; one Stripe no longer has raises
        :class:`StripeCustomerGoneError` (the attempt without it is another request, another key).
        """
        price = price_of(self.settings.stripe_prices, purchase, "Stripe")
        key = f"checkout-{purchase.buyer_id}-{purchase.key}-{attempt or uuid.uuid4().hex}"
        if customer:
            key += f"-{customer}"
        try:
            session = await self._create_session(purchase, price, customer, key)
        except stripe.InvalidRequestError as exc:
            if customer and exc.param == "customer" and exc.code == "resource_missing":
                raise StripeCustomerGoneError(customer) from exc
            raise
        if not session.url:
            raise stripe.StripeError("Stripe returned a Checkout Session without a URL")
        log.info("Stripe checkout %s for %s (%s)", session.id, purchase.buyer_id, purchase.key)
        return session.url

    async def _create_session(
        self, purchase: Purchase, price: str, customer: str | None, key: str
    ) -> stripe.checkout.Session:
        metadata = purchase.metadata()
        return await self.client.v1.checkout.sessions.create_async(
            {
                **({"customer": customer} if customer else {}),
                "mode": "subscription",
                "line_items": [{"price": price, "quantity": 1}],
                "client_reference_id": str(purchase.buyer_id),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
                "success_url": f"{self.public_url}/premium?checkout=done",
                "cancel_url": f"{self.public_url}/premium?checkout=canceled",
            },
            {"idempotency_key": key},
        )

    async def portal_link(self, customer_id: str) -> str:
        """A Customer Portal session where the member manages or cancels their subscription."""
        portal = await self.client.v1.billing_portal.sessions.create_async(
            {"customer": customer_id, "return_url": f"{self.public_url}/premium"}
        )
        return portal.url

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        found = await self.client.v1.subscriptions.retrieve_async(subscription_id)
        return found.to_dict()

    async def charge(self, charge_id: str) -> dict[str, Any]:
        found = await self.client.v1.charges.retrieve_async(charge_id)
        return found.to_dict()

    async def subscriptions_paid_by(self, payment_intent_id: str) -> list[str]:
        """The subscriptions whose invoices ``payment_intent_id`` paid (none: not an invoice's).

        Since API version 2025-03-31 (basil) neither a charge nor a payment intent names its
        invoice: the link is the invoice's payments, listed by payment intent, page by page
        (one payment can pay many invoices).
        """
        payments = await self.client.v1.invoice_payments.list_async(
            {"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}}
        )
        subscriptions: list[str] = []
        async for payment in payments.auto_paging_iter():
            invoice_id = payment.invoice if isinstance(payment.invoice, str) else payment.invoice.id
            invoice = await self.client.v1.invoices.retrieve_async(str(invoice_id))
            details = invoice.parent.subscription_details if invoice.parent else None
            subscription = details.subscription if details else None
            if subscription is not None:
                found = subscription if isinstance(subscription, str) else subscription.id
                if found not in subscriptions:
                    subscriptions.append(found)
        return subscriptions

    async def cancel_subscription(self, subscription_id: str) -> None:
        """End a subscription now (after a refund or dispute), with our idempotency key."""
        await self.client.v1.subscriptions.cancel_async(
            subscription_id, options={"idempotency_key": f"cancel-{subscription_id}"}
        )
        log.info("Stripe subscription %s canceled", subscription_id)
