"""Payment webhooks: ``POST /webhooks/stripe`` and ``POST /webhooks/paypal``.

Each reads the raw body, checks the provider's signature over exactly those bytes, and answers
400 (logged, nothing changed) when it does not hold or is stale. A verified event is applied
exactly once by the premium service and answered 200, a replay too, so the provider stops
retrying; a failure on our side (the database, a provider lookup) answers 500 without recording
the event, so the provider's retry applies it later.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from botfleet.events_bus import BusUnavailableError, bus_from_settings
from botfleet.payments import paypal, stripe_events
from botfleet.payments.errors import WebhookRejectedError
from botfleet.payments.paypal import PayPalGateway
from botfleet.payments.stripe_client import StripeGateway
from botfleet.services.premium import EventResult, Outcome, PremiumService
from botfleet.web.keys import CACHE_KEY, DATABASE_KEY, SETTINGS_KEY

log = logging.getLogger(__name__)

PREMIUM_KEY = web.AppKey("premium", PremiumService)
STRIPE_KEY = web.AppKey("stripe", StripeGateway)
PAYPAL_KEY = web.AppKey("paypal", PayPalGateway)
MAX_BODY = 256 * 1024
"""Provider events are a few kilobytes; anything far larger is not one."""


async def stripe_webhook(request: web.Request) -> web.Response:
    gateway = request.app[STRIPE_KEY]
    raw = await _raw_body(request)
    secret = gateway.settings.stripe_webhook_secret
    try:
        if secret is None:
            raise WebhookRejectedError("no STRIPE_WEBHOOK_SECRET is configured")
        event = stripe_events.verify(
            raw,
            request.headers.get("Stripe-Signature"),
            secret.get_secret_value(),
            gateway.settings.webhook_tolerance,
        )
    except WebhookRejectedError as exc:
        return _rejected("Stripe", request, exc)
    translated = await stripe_events.translate(event, gateway)
    result = await request.app[PREMIUM_KEY].apply_event(translated)
    if event.type in stripe_events.REVOKING:
        await _cancel_revoked(result, gateway.cancel_subscription)
    return _received(result.outcome)


async def paypal_webhook(request: web.Request) -> web.Response:
    gateway = request.app[PAYPAL_KEY]
    raw = await _raw_body(request)
    try:
        event = await gateway.verify_webhook(raw, request.headers)
    except WebhookRejectedError as exc:
        return _rejected("PayPal", request, exc)
    result = await request.app[PREMIUM_KEY].apply_event(await paypal.translate(event, gateway))
    if event.type in paypal.REVOKING:
        await _cancel_revoked(result, gateway.cancel_subscription)
    return _received(result.outcome)


def _rejected(provider: str, request: web.Request, exc: Exception) -> web.Response:
    log.warning(
        "%s webhook refused from %s: %s", provider, request.remote or "an unknown peer", exc
    )
    return web.json_response({"error": "signature verification failed"}, status=400)


def _received(outcome: Outcome) -> web.Response:
    return web.json_response({"received": True, "outcome": outcome.value})


async def _raw_body(request: web.Request) -> bytes:
    """The body exactly as sent (the signature covers these bytes); too large: 413."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    return await request.read()


async def _cancel_revoked(result: EventResult, cancel: Callable[[str], Awaitable[None]]) -> None:
    """After a refund or dispute revoked premium, cancel the subscriptions it paid too.

    Premium is already revoked; a failure here is the operator's to finish, and says so.
    """
    if result.outcome is not Outcome.APPLIED:
        return
    for membership in result.memberships:
        if not membership.subscription_id:
            continue
        try:
            await cancel(membership.subscription_id)
        except Exception:  # each provider raises its own errors; premium is revoked either way
            log.exception(
                "could not cancel subscription %s after a refund or dispute: cancel it by hand",
                membership.subscription_id,
            )


def setup_webhooks(app: web.Application) -> None:
    """Add the webhook routes of the providers configured, and the premium service they use."""
    settings = app[SETTINGS_KEY]
    bus = bus_from_settings(settings, app[CACHE_KEY].redis)
    app[PREMIUM_KEY] = PremiumService(app[DATABASE_KEY], app[CACHE_KEY], bus=bus)
    payments = settings.payments
    if payments.stripe_api_key is not None:
        app[STRIPE_KEY] = StripeGateway(payments, settings.web.public_url)
        app.router.add_post("/webhooks/stripe", stripe_webhook)
    if payments.paypal_client_id is not None and payments.paypal_client_secret is not None:
        app[PAYPAL_KEY] = PayPalGateway(payments, settings.web.public_url)
        app.router.add_post("/webhooks/paypal", paypal_webhook)

    async def start_bus(app: web.Application) -> None:
        try:
            await bus.start()
        except BusUnavailableError as exc:
            log.error("the event bus could not start (%s); bots learn of grants later", exc)

    async def close(app: web.Application) -> None:
        await bus.close()
        if STRIPE_KEY in app:
            await app[STRIPE_KEY].close()
        if PAYPAL_KEY in app:
            await app[PAYPAL_KEY].close()

    app.on_startup.append(start_bus)
    app.on_cleanup.append(close)
