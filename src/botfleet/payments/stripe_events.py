"""Stripe webhooks: the signature checked over the raw body, then each event made a premium change.

The signature is Stripe's documented scheme, checked by the official package: an HMAC-SHA256 of
``timestamp.body`` with the endpoint's secret, and a timestamp within the tolerance. Event shapes
are those of the package's API version: a subscription's period is on its items, an invoice names
its subscription under ``parent.subscription_details``, and a charge names no invoice (a refund or
dispute finds the subscription it ends through the invoice payments of the charge's payment
intent).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import stripe

from botfleet.payments import messages
from botfleet.payments.errors import WebhookRejectedError
from botfleet.payments.events import ProviderEvent, decode_event
from botfleet.payments.plans import purchase_from_metadata
from botfleet.payments.stripe_client import StripeGateway
from botfleet.services.premium import (
    ByCustomer,
    BySubscription,
    Cancel,
    Change,
    Grant,
    PastDue,
    PaymentEvent,
    Revoke,
)
from botfleet.services.premium.service import Notify, Target, no_messages

log = logging.getLogger(__name__)

PROVIDER = "stripe"
REVOKING = frozenset({"charge.refunded", "charge.dispute.created"})
"""Events after which the subscription is canceled too, not only premium ended."""


def verify(raw: bytes, signature: str | None, secret: str, tolerance: int) -> ProviderEvent:
    """The event of a webhook whose ``Stripe-Signature`` holds; else WebhookRejectedError."""
    try:
        stripe.WebhookSignature.verify_header(raw, signature, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejectedError(str(exc)) from exc
    except UnicodeDecodeError as exc:  # the SDK decodes the body before it checks anything
        raise WebhookRejectedError("the body is not UTF-8 text") from exc
    return decode_event(
        raw,
        "Stripe",
        lambda body: (str(body["type"]), _timestamp(body["created"]), body["data"]["object"]),
    )


def _timestamp(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def _period_end(subscription: dict[str, Any]) -> datetime | None:
    ends = [
        item["current_period_end"]
        for item in subscription.get("items", {}).get("data", [])
        if item.get("current_period_end")
    ]
    return _timestamp(max(ends)) if ends else None


def _metadata_target(metadata: dict[str, Any] | None, subscription_id: str | None) -> Target | None:
    purchase = purchase_from_metadata(dict(metadata or {}))
    if purchase is not None:
        return purchase.subject
    return BySubscription(subscription_id) if subscription_id else None


async def translate(event: ProviderEvent, gateway: StripeGateway) -> PaymentEvent:
    """The premium change of a verified event (None change: an event that changes nothing)."""
    target: Target | tuple[Target, ...] | None = None
    change: Change | None = None
    notify: Notify = no_messages
    obj, at = event.object, event.created
    if event.type == "checkout.session.completed":
        purchase = purchase_from_metadata(dict(obj.get("metadata") or {}))
        subscription_id = obj.get("subscription")
        if purchase is not None and subscription_id and obj.get("payment_status") == "paid":
            subscription = await gateway.subscription(str(subscription_id))
            period_end = _period_end(subscription)
            if period_end is not None:
                target = purchase.subject
                change = Grant(
                    at=at,
                    period_end=period_end,
                    provider=PROVIDER,
                    plan=purchase.plan.value,
                    subscription_id=str(subscription_id),
                    customer_id=obj.get("customer"),
                    purchaser_id=purchase.buyer_id,
                    cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
                )
                notify = messages.confirmation
    elif event.type in ("invoice.paid", "invoice.payment_failed"):
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        subscription_id = details.get("subscription")
        target = _metadata_target(details.get("metadata"), subscription_id)
        if event.type == "invoice.payment_failed":
            change, notify = PastDue(at=at), messages.payment_failed
        else:
            ends = [line["period"]["end"] for line in obj.get("lines", {}).get("data", [])]
            purchase = purchase_from_metadata(dict(details.get("metadata") or {}))
            if ends:
                change = Grant(
                    at=at,
                    period_end=_timestamp(max(ends)),
                    provider=PROVIDER,
                    plan=purchase.plan.value if purchase else None,
                    subscription_id=subscription_id,
                    customer_id=obj.get("customer"),
                    purchaser_id=purchase.buyer_id if purchase else None,
                )
    elif event.type in ("customer.subscription.updated", "customer.subscription.deleted"):
        target = _metadata_target(obj.get("metadata"), obj.get("id"))
        change = _subscription_change(event, obj)
    elif event.type in REVOKING and (event.type != "charge.refunded" or obj.get("refunded")):
        target = await _charged_for(event, gateway)
        if target is not None:
            change, notify = Revoke(at=at), messages.revoked
    return PaymentEvent(PROVIDER, event.id, event.type, target, change, notify)


async def _charged_for(event: ProviderEvent, gateway: StripeGateway) -> tuple[Target, ...] | None:
    """The memberships a fully refunded or disputed charge paid: the subscriptions whose
    invoices its payment intent paid (one payment can pay several invoices).

    A charge paying no subscription's invoice (made by hand in Stripe's dashboard) falls back
    to every membership of the customer that has not ended, logged: the operator checks that
    it was meant.
    """
    obj = event.object
    charge_id = str(obj["id"] if event.type == "charge.refunded" else obj["charge"])
    payment_intent = obj.get("payment_intent")
    subscriptions = (
        await gateway.subscriptions_paid_by(str(payment_intent)) if payment_intent else []
    )
    if subscriptions:
        return tuple(BySubscription(subscription) for subscription in subscriptions)
    if event.type == "charge.refunded":
        customer = obj.get("customer")
    else:
        customer = (await gateway.charge(charge_id)).get("customer")
    if not customer:
        log.warning(
            "Stripe %s of charge %s names no invoice and no customer", event.type, charge_id
        )
        return None
    log.warning(
        "Stripe %s of charge %s paid no subscription invoice: revoking every current "
        "membership of customer %s instead",
        event.type,
        charge_id,
        customer,
    )
    return (ByCustomer(str(customer)),)


def _subscription_change(event: ProviderEvent, subscription: dict[str, Any]) -> Change | None:
    status = subscription.get("status")
    if event.type == "customer.subscription.deleted" or status == "canceled":
        ended = subscription.get("ended_at")
        return Cancel(at=event.created, ends_at=_timestamp(ended) if ended else event.created)
    if status in ("past_due", "unpaid"):
        return PastDue(at=event.created)
    period_end = _period_end(subscription)
    if status in ("active", "trialing") and period_end is not None:
        purchase = purchase_from_metadata(dict(subscription.get("metadata") or {}))
        return Grant(
            at=event.created,
            period_end=period_end,
            provider=PROVIDER,
            plan=purchase.plan.value if purchase else None,
            subscription_id=subscription.get("id"),
            customer_id=subscription.get("customer"),
            purchaser_id=purchase.buyer_id if purchase else None,
            cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        )
    return None
