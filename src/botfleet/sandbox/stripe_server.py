"""A local stand-in for Stripe: the API calls botfleet makes, a checkout page, signed webhooks.

It speaks Stripe's protocol over real HTTP on 127.0.0.1, so the official ``stripe`` package runs
unchanged against it (``base_addresses={"api": server.base_url}``): bearer keys, form-encoded
bodies with bracketed keys, idempotency keys (a replay gets the first answer, a replay with
other parameters a 400), errors in Stripe's ``{"error": {...}}`` shape, and objects in the
shapes of the package's API version (a subscription's period on its items, an invoice's
subscription under ``parent.subscription_details``, and since basil no link from a charge or
an invoice to the other but the invoice's payments, listed by payment intent).

Routes: ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
``GET|DELETE /v1/subscriptions/{id}``, ``GET|DELETE /v1/customers/{id}`` (a session naming a
deleted customer is refused: 400 ``resource_missing`` on ``customer``), ``GET /v1/charges/{id}``,
``GET /v1/invoices/{id}``, ``GET /v1/invoice_payments`` (filtered by ``invoice`` or
``payment[...]``, paged by ``limit``, ``starting_after`` or ``ending_before``, and ``has_more``),
``POST /v1/refunds``, ``POST /v1/billing_portal/sessions`` (whose page cancels at the period's
end), and the checkout page ``GET|POST /c/pay/{id}`` whose button "pays": it makes the customer,
subscription, invoice and charge, then sends the events Stripe sends to the webhook endpoint,
signed with the package's own signer (``Stripe-Signature``, HMAC-SHA256 of ``timestamp.body``).
A test drives the same through :meth:`pay`, :meth:`renew`, :meth:`renew_together` (one payment
of several subscriptions' invoices), :meth:`fail_renewal`, :meth:`dispute` and
:meth:`delete_customer`, holds events back with ``webhooks.deliver = False`` and sends them in
any order with :meth:`send`.
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final

import stripe
from aiohttp import web

from botfleet.sandbox.local_http import HostedPage, LocalHTTPServer, button
from botfleet.sandbox.stripe_protocol import (
    Idempotent,
    decode_form,
    error,
    field_of,
    missing,
    missing_body,
    page_of,
)
from botfleet.sandbox.webhook_sender import WebhookSender, public_view

API_VERSION: Final = stripe.api_version
INTERVALS: Final = {"month": 31 * 86400, "year": 366 * 86400}
PRICE_AMOUNT: Final = 500
"""Every price's amount, in cents."""


@dataclass(slots=True)
class _Store:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    portals: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, Idempotent] = field(default_factory=dict)


class LocalStripeServer(LocalHTTPServer):
    """Stripe on 127.0.0.1 for one test or one sandbox run."""

    def __init__(
        self,
        *,
        api_key: str = "sk_test_local",
        webhook_secret: str = "whsec_local",  # noqa: S107  (the stand-in's own test secret)
        prices: dict[str, str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.prices = prices or {"price_monthly": "month", "price_yearly": "year"}
        """Price id → billing interval (``month`` or ``year``)."""
        self.webhooks = WebhookSender()
        self.requests: list[tuple[str, str]] = []
        self.clock_offset = 0
        """Seconds added to the clock of created objects and events (a test moves time)."""
        self.outage = False
        """Answer every API request with Stripe's 500 ``api_error`` (webhooks still go out)."""
        self._store = _Store()
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.origin

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/checkout/sessions", self._create_session)
        app.router.add_get("/v1/checkout/sessions/{id}", self._get_session)
        app.router.add_get("/v1/customers/{id}", self._get_customer)
        app.router.add_delete("/v1/customers/{id}", self._delete_customer)
        app.router.add_get("/v1/subscriptions/{id}", self._get_subscription)
        app.router.add_delete("/v1/subscriptions/{id}", self._cancel_subscription)
        app.router.add_get("/v1/charges/{id}", self._get_charge)
        app.router.add_get("/v1/invoices/{id}", self._get_invoice)
        app.router.add_get("/v1/invoice_payments", self._list_invoice_payments)
        app.router.add_post("/v1/refunds", self._create_refund)
        app.router.add_post("/v1/billing_portal/sessions", self._create_portal)
        self._checkout_page().add_to(app, "/c/pay/{id}")
        self._portal_page().add_to(app, "/p/session/{id}")

    async def stop(self) -> None:
        await self.webhooks.close()
        await super().stop()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(6)}"

    # --- the API -------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.method, request.path))
        if self.outage:
            return error(500, "An unknown error occurred", "api_error")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return error(401, "Invalid API Key provided", "invalid_request_error")
        return None

    async def _params(self, request: web.Request) -> dict[str, Any]:
        form = await request.post()
        return decode_form([(key, str(value)) for key, value in form.items()])

    async def _create_session(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        params = await self._params(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in self._store.idempotency:
            earlier = self._store.idempotency[key]
            if earlier.params != params:
                return error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    "idempotency_error",
                )
            return web.json_response(earlier.body, status=earlier.status)
        status, body = self._new_session(params)
        if key is not None:
            self._store.idempotency[key] = Idempotent(params, status, body)
        return web.json_response(body, status=status)

    def _new_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("mode") != "subscription":
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "param": "mode",
                    "message": "This stand-in makes subscription sessions.",
                }
            }
        items = params.get("line_items") or []
        if len(items) != 1 or items[0].get("price") not in self.prices:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "param": "line_items",
                    "code": "resource_missing",
                    "message": "No such price",
                }
            }
        for url in ("success_url", "cancel_url"):
            if not str(params.get(url, "")).startswith(("http://", "https://")):
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "param": url,
                        "message": "Not a valid URL",
                    }
                }
        customer = params.get("customer")
        if customer is not None and self._live_customer(customer) is None:
            return 400, missing_body("customer", customer, "customer")
        session_id = self._id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "payment_status": "unpaid",
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "customer": params.get("customer"),
            "subscription": None,
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "url": f"{self.origin}/c/pay/{session_id}",
            "created": self.now(),
            "livemode": False,
            "_price": items[0]["price"],
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        self._store.sessions[session_id] = session
        return 200, public_view(session)

    async def _get_session(self, request: web.Request) -> web.Response:
        return self._get(request, self._store.sessions, "checkout.session")

    def _live_customer(self, customer_id: object) -> dict[str, Any] | None:
        """The customer, unless it never existed or was deleted (Stripe knows it no more)."""
        customer = self._store.customers.get(str(customer_id))
        return None if customer is None or customer.get("deleted") else customer

    async def _get_customer(self, request: web.Request) -> web.Response:
        return self._get(request, self._store.customers, "customer")

    async def _delete_customer(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        customer_id = request.match_info["id"]
        if self._live_customer(customer_id) is None:
            return missing("customer", customer_id)
        return web.json_response(await self.delete_customer(customer_id))

    async def _get_subscription(self, request: web.Request) -> web.Response:
        return self._get(request, self._store.subscriptions, "subscription")

    async def _get_charge(self, request: web.Request) -> web.Response:
        return self._get(request, self._store.charges, "charge")

    async def _get_invoice(self, request: web.Request) -> web.Response:
        return self._get(request, self._store.invoices, "invoice")

    async def _list_invoice_payments(self, request: web.Request) -> web.Response:
        """Stripe's list of invoice payments: by ``invoice``, or by ``payment[type]`` and its id."""
        refused = self._authorized(request)
        if refused is not None:
            return refused
        params = decode_form(list(request.query.items()))
        payment = params.get("payment") or {}
        if payment and payment.get("type") not in ("payment_intent", "payment_record"):
            return error(400, "Missing required param: payment[type].", "invalid_request_error")
        wanted = {
            "invoice": params.get("invoice"),
            "status": params.get("status"),
            "type": payment.get("type"),
            "payment_intent": payment.get("payment_intent"),
        }
        found = [
            public_view(invoice_payment)
            for invoice_payment in reversed(self._store.invoice_payments.values())
            if all(
                value is None or field_of(invoice_payment, name) == value
                for name, value in wanted.items()
            )
        ]
        return page_of(found, params, "/v1/invoice_payments")

    def _get(
        self, request: web.Request, objects: dict[str, dict[str, Any]], kind: str
    ) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        found = objects.get(request.match_info["id"])
        if found is None:
            return missing(kind, request.match_info["id"])
        return web.json_response(public_view(found))

    async def _cancel_subscription(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        subscription_id = request.match_info["id"]
        subscription = self._store.subscriptions.get(subscription_id)
        if subscription is None:
            return missing("subscription", subscription_id)
        if subscription["status"] == "canceled":
            return error(
                400,
                f"A canceled subscription can only update its cancellation_details: "
                f"{subscription_id}",
                "invalid_request_error",
                "resource_missing",
            )
        await self.cancel(subscription_id)
        return web.json_response(public_view(subscription))

    async def _create_refund(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        params = await self._params(request)
        charge = self._store.charges.get(str(params.get("charge")))
        if charge is None:
            return missing("charge", str(params.get("charge")))
        if charge["refunded"]:
            return error(
                400,
                f"Charge {charge['id']} has already been refunded.",
                "invalid_request_error",
                "charge_already_refunded",
            )
        refund = await self.refund(charge["id"])
        return web.json_response(refund)

    # --- the checkout page ---------------------------------------------------------------

    def _checkout_page(self) -> HostedPage[dict[str, Any]]:
        def find(request: web.Request) -> dict[str, Any] | None:
            return self._store.sessions.get(request.match_info["id"])

        def body(session: dict[str, Any]) -> str:
            interval = self.prices[session["_price"]]
            done = session["status"] == "complete"
            return (
                f"<h1>Subscribe: premium, billed every {html.escape(interval)}</h1>"
                f"<p>Test checkout {html.escape(session['id'])}; no money moves.</p>"
                + ("<p>Paid.</p>" if done else button("Pay"))
            )

        async def pay(session: dict[str, Any]) -> str:
            if session["status"] != "complete":
                await self.pay(session["id"])
            return str(session["success_url"])

        return HostedPage(
            "Checkout (Stripe stand-in)", "This checkout page does not exist.", find, body, pay
        )

    # --- the customer portal --------------------------------------------------------------

    async def _create_portal(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        params = await self._params(request)
        customer = params.get("customer")
        if self._live_customer(customer) is None:
            return missing("customer", str(customer), "customer")
        portal_id = self._id("bps_test")
        portal = {
            "id": portal_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": f"{self.origin}/p/session/{portal_id}",
            "created": self.now(),
            "livemode": False,
        }
        self._store.portals[portal_id] = portal
        return web.json_response(portal)

    def _portal_subscriptions(self, portal_id: str) -> list[dict[str, Any]] | None:
        portal = self._store.portals.get(portal_id)
        if portal is None:
            return None
        return [
            subscription
            for subscription in self._store.subscriptions.values()
            if subscription["customer"] == portal["customer"]
            and subscription["status"] != "canceled"
        ]

    def _portal_page(self) -> HostedPage[tuple[str, list[dict[str, Any]]]]:
        def find(request: web.Request) -> tuple[str, list[dict[str, Any]]] | None:
            portal_id = request.match_info["id"]
            subscriptions = self._portal_subscriptions(portal_id)
            return None if subscriptions is None else (portal_id, subscriptions)

        def body(portal: tuple[str, list[dict[str, Any]]]) -> str:
            rows = "".join(
                f"<li>{html.escape(s['id'])}: "
                f"{'ends at the period end' if s['cancel_at_period_end'] else 'renews'}</li>"
                for s in portal[1]
            )
            return f"<h1>Your subscriptions</h1><ul>{rows}</ul>" + button("Cancel subscription")

        async def cancel(portal: tuple[str, list[dict[str, Any]]]) -> str:
            portal_id, subscriptions = portal
            for subscription in subscriptions:
                await self.cancel_at_period_end(subscription["id"])
            return str(self._store.portals[portal_id]["return_url"])

        return HostedPage(
            "Billing (Stripe stand-in)", "This portal session does not exist.", find, body, cancel
        )

    # --- what happens at Stripe -----------------------------------------------------------

    async def pay(self, session_id: str) -> dict[str, Any]:
        """The member pays the session: objects made, events sent; returns the subscription."""
        session = self._store.sessions[session_id]
        customer = session["customer"] or self._new_customer()
        now = self.now()
        subscription_id = self._id("sub_test")
        subscription: dict[str, Any] = {
            "id": subscription_id,
            "object": "subscription",
            "status": "active",
            "customer": customer,
            "metadata": session["_subscription_metadata"],
            "cancel_at_period_end": False,
            "canceled_at": None,
            "ended_at": None,
            "created": now,
            "items": {"object": "list", "data": []},
            "latest_invoice": None,
            "livemode": False,
            "_price": session["_price"],
        }
        self._store.subscriptions[subscription_id] = subscription
        self._set_period(subscription, now)
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer,
            subscription=subscription_id,
        )
        await self._emit("customer.subscription.created", subscription)
        invoice = self._invoice(subscription, "subscription_create", paid=True)
        await self._emit("charge.succeeded", self._store.charges[invoice["_charge"]])
        await self._emit("invoice.paid", invoice)
        await self._emit("checkout.session.completed", session)
        return subscription

    def _new_customer(self) -> str:
        customer_id = self._id("cus_test")
        self._store.customers[customer_id] = {
            "id": customer_id,
            "object": "customer",
            "created": self.now(),
            "livemode": False,
        }
        return customer_id

    async def delete_customer(self, customer_id: str) -> dict[str, Any]:
        """The operator deletes the customer in Stripe's dashboard: as Stripe documents, its
        subscriptions end at once (``customer.subscription.deleted`` each), then
        ``customer.deleted``; Stripe keeps only ``{"id", "object", "deleted": true}``."""
        for subscription in list(self._store.subscriptions.values()):
            if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                await self.cancel(subscription["id"])
        customer = self._store.customers[customer_id]
        await self._emit("customer.deleted", customer)
        deleted = {"id": customer_id, "object": "customer", "deleted": True}
        self._store.customers[customer_id] = deleted
        return deleted

    def _set_period(self, subscription: dict[str, Any], start: int) -> None:
        end = start + INTERVALS[self.prices[subscription["_price"]]]
        subscription["items"]["data"] = [
            {
                "id": f"si_{subscription['id'][4:]}",
                "object": "subscription_item",
                "price": {"id": subscription["_price"], "object": "price"},
                "quantity": 1,
                "current_period_start": start,
                "current_period_end": end,
            }
        ]

    def _invoice(
        self,
        subscription: dict[str, Any],
        reason: str,
        *,
        paid: bool,
        charge: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The subscription's invoice for its current period, paid by ``charge`` (the payment
        of several invoices) or by a charge of its own."""
        item = subscription["items"]["data"][0]
        invoice_id = self._id("in_test")
        if charge is None:
            charge = self._charge(subscription["customer"], paid=paid)
        invoice_payment_id = self._id("inpay_test")
        self._store.invoice_payments[invoice_payment_id] = {
            "id": invoice_payment_id,
            "object": "invoice_payment",
            "amount_paid": PRICE_AMOUNT if paid else None,
            "amount_requested": PRICE_AMOUNT,
            "created": self.now(),
            "currency": "usd",
            "invoice": invoice_id,
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
            "status": "paid" if paid else "open",
            "status_transitions": {"canceled_at": None, "paid_at": self.now() if paid else None},
        }
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": subscription["customer"],
            "billing_reason": reason,
            "status": "paid" if paid else "open",
            "_charge": charge["id"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": subscription["metadata"],
                },
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": f"il_{invoice_id[3:]}",
                        "object": "line_item",
                        "period": {
                            "start": item["current_period_start"],
                            "end": item["current_period_end"],
                        },
                    }
                ],
            },
            "created": self.now(),
            "livemode": False,
        }
        self._store.invoices[invoice_id] = invoice
        subscription["latest_invoice"] = invoice_id
        return invoice

    def _charge(self, customer: str, *, paid: bool, invoices: int = 1) -> dict[str, Any]:
        """A charge of ``customer`` (paying ``invoices`` invoices) and its payment intent."""
        charge_id = self._id("ch_test")
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": PRICE_AMOUNT * invoices,
            "amount_refunded": 0,
            "refunded": False,
            "paid": paid,
            "status": "succeeded" if paid else "failed",
            "customer": customer,
            "payment_intent": self._id("pi_test"),
            "created": self.now(),
            "livemode": False,
        }
        self._store.charges[charge_id] = charge
        return charge

    async def charge_customer(self, customer: str) -> str:
        """A payment of ``customer`` that pays no invoice (made in the dashboard); its charge."""
        charge = self._charge(customer, paid=True)
        await self._emit("charge.succeeded", charge)
        return str(charge["id"])

    async def renew(self, subscription_id: str) -> dict[str, Any]:
        """The next period is paid: the subscription moves on, ``invoice.paid`` is sent."""
        subscription = self._store.subscriptions[subscription_id]
        end = subscription["items"]["data"][0]["current_period_end"]
        self._set_period(subscription, end)
        subscription["status"] = "active"
        invoice = self._invoice(subscription, "subscription_cycle", paid=True)
        await self._emit("invoice.paid", invoice)
        await self._emit("customer.subscription.updated", subscription)
        return invoice

    async def renew_together(self, subscription_ids: list[str]) -> str:
        """The next period of several subscriptions of one customer is paid by one payment
        (one payment intent paying each one's invoice, as Stripe's invoice payments allow);
        returns its charge."""
        subscriptions = [self._store.subscriptions[s] for s in subscription_ids]
        (customer,) = {subscription["customer"] for subscription in subscriptions}
        charge = self._charge(customer, paid=True, invoices=len(subscriptions))
        await self._emit("charge.succeeded", charge)
        for subscription in subscriptions:
            self._set_period(subscription, subscription["items"]["data"][0]["current_period_end"])
            invoice = self._invoice(subscription, "subscription_cycle", paid=True, charge=charge)
            await self._emit("invoice.paid", invoice)
            await self._emit("customer.subscription.updated", subscription)
        return str(charge["id"])

    async def fail_renewal(self, subscription_id: str) -> dict[str, Any]:
        """The renewal payment fails: ``invoice.payment_failed``, the subscription past due."""
        subscription = self._store.subscriptions[subscription_id]
        invoice = self._invoice(subscription, "subscription_cycle", paid=False)
        subscription["status"] = "past_due"
        await self._emit("invoice.payment_failed", invoice)
        await self._emit("customer.subscription.updated", subscription)
        return invoice

    async def cancel_at_period_end(self, subscription_id: str) -> dict[str, Any]:
        """The member cancels in the portal: the subscription runs out at its period's end."""
        subscription = self._store.subscriptions[subscription_id]
        subscription.update(cancel_at_period_end=True, canceled_at=self.now())
        await self._emit("customer.subscription.updated", subscription)
        return subscription

    async def cancel(self, subscription_id: str) -> dict[str, Any]:
        subscription = self._store.subscriptions[subscription_id]
        now = self.now()
        subscription.update(status="canceled", canceled_at=now, ended_at=now)
        await self._emit("customer.subscription.deleted", subscription)
        return subscription

    async def refund(self, charge_id: str) -> dict[str, Any]:
        charge = self._store.charges[charge_id]
        charge.update(refunded=True, amount_refunded=charge["amount"])
        refund = {
            "id": self._id("re_test"),
            "object": "refund",
            "amount": charge["amount"],
            "charge": charge_id,
            "status": "succeeded",
            "created": self.now(),
        }
        await self._emit("charge.refunded", charge)
        return refund

    async def dispute(self, charge_id: str) -> dict[str, Any]:
        dispute = {
            "id": self._id("dp_test"),
            "object": "dispute",
            "amount": self._store.charges[charge_id]["amount"],
            "charge": charge_id,
            "payment_intent": self._store.charges[charge_id]["payment_intent"],
            "reason": "fraudulent",
            "status": "needs_response",
            "created": self.now(),
        }
        await self._emit("charge.dispute.created", dispute)
        return dispute

    def subscription(self, subscription_id: str) -> dict[str, Any]:
        return public_view(self._store.subscriptions[subscription_id])

    def charge_of(self, subscription_id: str) -> str:
        """The charge of the subscription's latest invoice."""
        invoice_id = self._store.subscriptions[subscription_id]["latest_invoice"]
        return str(self._store.invoices[invoice_id]["_charge"])

    def customer_of(self, subscription_id: str) -> str:
        return str(self._store.subscriptions[subscription_id]["customer"])

    # --- webhooks --------------------------------------------------------------------------

    async def _emit(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": self._id("evt_test"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": {"object": public_view(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.webhooks.events.append(event)
        if self.webhooks.deliver and self.webhooks.url is not None:
            await self.send(event)
        return event

    def signed(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """The body and ``Stripe-Signature`` of ``event``, as Stripe signs them."""
        body = json.dumps(event, separators=(",", ":"))
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret or self.webhook_secret, timestamp=timestamp
        )
        return body.encode(), header

    async def send(
        self,
        event: dict[str, Any],
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        body: bytes | None = None,
    ) -> int:
        """POST ``event`` to the webhook endpoint, signed (``body`` replaces the signed body)."""
        signed_body, header = self.signed(event, timestamp=timestamp, secret=secret)
        return await self.webhooks.post(
            event, body if body is not None else signed_body, {"Stripe-Signature": header}
        )
