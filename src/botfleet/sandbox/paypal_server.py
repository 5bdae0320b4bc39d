"""A local stand-in for PayPal's REST API: OAuth, subscriptions, an approval page, signed webhooks.

It speaks PayPal's protocol over real HTTP on 127.0.0.1: ``POST /v1/oauth2/token`` (client
credentials in Basic auth, form-encoded), ``POST /v1/billing/subscriptions`` (with
``PayPal-Request-Id`` idempotency), ``GET /v1/billing/subscriptions/{id}``,
``POST /v1/billing/subscriptions/{id}/cancel``, ``GET /v1/payments/sale/{id}`` (a subscription's
payment, naming it as ``billing_agreement_id``; a refund's event names only its sale),
``GET /v1/payments/refund/{id}`` (a refund or reversal, naming its ``sale_id``; a reversal's
event names neither sale nor subscription, only itself),
``GET /v1/customer/disputes/{id}`` (a dispute's transactions name sales too), errors in
PayPal's ``{"name", "message", "details"}`` shape. The approval page's button activates the
subscription and sends the events PayPal sends, signed as PayPal signs them: RSA-SHA256 over
``transmission_id|transmission_time|webhook_id|crc32(body)`` with the key of the stand-in's
certificate for PayPal's message-verification host, issued by the stand-in's own CA (written to
:attr:`LocalPayPalServer.ca_file` for ``paypal_ca_file``) and served at the ``PAYPAL-CERT-URL``
it names.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from botfleet.payments.paypal import PAYPAL_CERT_SUBJECT, signed_message
from botfleet.sandbox.local_http import HostedPage, LocalHTTPServer, button
from botfleet.sandbox.webhook_sender import WebhookSender, public_view

PERIODS: Final = {"MONTH": timedelta(days=31), "YEAR": timedelta(days=366)}


def _paypal_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Issued:
    """A key and the certificate made for it."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_authority(name: str = "botfleet test CA") -> Issued:
    """A CA of our own, valid for a day, to issue webhook certificates with."""
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def leaf_certificate(
    issuer: Issued, host: str = PAYPAL_CERT_SUBJECT, *, valid_for: timedelta = timedelta(days=1)
) -> Issued:
    """A certificate naming ``host`` (as PayPal's names its own), issued by ``issuer``."""
    key = _new_key()
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + valid_for)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(key, certificate)


def _error(status: int, name: str, message: str, issue: str | None = None) -> web.Response:
    body: dict[str, Any] = {"name": name, "message": message, "debug_id": secrets.token_hex(6)}
    if issue is not None:
        body["details"] = [{"issue": issue}]
    return web.json_response(body, status=status)


def _outage_page() -> web.Response:
    return web.Response(
        status=503,
        text="<html><body><h1>Service Unavailable</h1></body></html>",
        content_type="text/html",
    )


class LocalPayPalServer(LocalHTTPServer):
    """PayPal on 127.0.0.1 for one test or one sandbox run."""

    def __init__(
        self,
        *,
        client_id: str = "paypal-client",
        client_secret: str = "paypal-secret",  # noqa: S107  (the stand-in's own test secret)
        webhook_id: str = "WH-LOCAL",
        plans: dict[str, str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.plans = plans or {"P-MONTHLY": "MONTH", "P-YEARLY": "YEAR"}
        """Plan id → billing interval."""
        self.webhooks = WebhookSender()
        self.clock_offset = timedelta()
        self.outage = False
        """Answer every API request, the token endpoint too, with the HTML 503 page of
        PayPal's edge (no JSON), as in an outage."""
        self.authority = certificate_authority()
        self.signer = leaf_certificate(self.authority)
        self._ca_folder = tempfile.TemporaryDirectory(prefix="paypal-stand-in-")
        self.ca_file = Path(self._ca_folder.name) / "ca.pem"
        """The stand-in's CA, for ``paypal_ca_file``."""
        self.ca_file.write_bytes(self.authority.pem())
        self.certificates: dict[str, bytes] = {"CERT-local": self.signer.pem()}
        """PEM chains served at ``/v1/notifications/certs/<name>``: tests add their own."""
        self._tokens: set[str] = set()
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._sales: dict[str, dict[str, Any]] = {}
        self._disputes: dict[str, dict[str, Any]] = {}
        self._refunds: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def cert_url(self) -> str:
        return self.certificate_url("CERT-local")

    def certificate_url(self, name: str) -> str:
        return f"{self.origin}/v1/notifications/certs/{name}"

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/oauth2/token", self._token)
        app.router.add_post("/v1/billing/subscriptions", self._create)
        app.router.add_get("/v1/billing/subscriptions/{id}", self._get)
        app.router.add_post("/v1/billing/subscriptions/{id}/cancel", self._cancel)
        app.router.add_get("/v1/payments/sale/{id}", self._get_sale)
        app.router.add_get("/v1/payments/refund/{id}", self._get_refund)
        app.router.add_get("/v1/customer/disputes/{id}", self._get_dispute)
        app.router.add_get("/v1/notifications/certs/{name}", self._cert)
        self._approval_page().add_to(app, "/webapps/billing/subscriptions")

    async def stop(self) -> None:
        await self.webhooks.close()
        await super().stop()
        self._ca_folder.cleanup()

    # --- the API -------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        if self.outage:
            return _outage_page()
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = await request.post()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response(
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
                status=401,
            )
        if form.get("grant_type") != "client_credentials":
            return web.json_response(
                {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
                status=400,
            )
        token = f"A21AA{secrets.token_urlsafe(24)}"
        self._tokens.add(token)
        return web.json_response(
            {
                "scope": "https://uri.paypal.com/services/subscriptions",
                "access_token": token,
                "token_type": "Bearer",  # nosec B105  # OAuth's token type
                "app_id": "APP-LOCAL",
                "expires_in": 32400,
                "nonce": secrets.token_hex(8),
            }
        )

    def _authorized(self, request: web.Request) -> web.Response | None:
        if self.outage:
            return _outage_page()
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self._tokens:
            return _error(
                401,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid "
                "authentication credentials or a missing Authorization header.",
            )
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        request_id = request.headers.get("PayPal-Request-Id")
        if request_id is not None and request_id in self._idempotency:
            return web.json_response(self._idempotency[request_id], status=201)
        try:
            body = await request.json()
        except ValueError:
            return _error(
                400, "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON"
            )
        if body.get("plan_id") not in self.plans:
            return _error(
                422,
                "UNPROCESSABLE_ENTITY",
                "The requested action could not be "
                "performed, semantically incorrect, or failed business validation.",
                "INVALID_PLAN_ID",
            )
        custom = body.get("custom_id")
        if custom is not None and (not isinstance(custom, str) or len(custom) > 127):
            return _error(
                400, "INVALID_REQUEST", "Request is not well-formed.", "INVALID_STRING_MAX_LENGTH"
            )
        subscription_id = f"I-{next(self._ids):04d}{secrets.token_hex(4).upper()}"
        token = f"BA-{secrets.token_hex(8).upper()}"
        context = body.get("application_context") or {}
        subscription = {
            "id": subscription_id,
            "status": "APPROVAL_PENDING",
            "plan_id": body["plan_id"],
            "custom_id": custom,
            "create_time": _paypal_time(self.now()),
            "_token": token,
            "_return_url": context.get("return_url"),
            "links": [
                {
                    "href": f"{self.origin}/webapps/billing/subscriptions?ba_token={token}",
                    "rel": "approve",
                    "method": "GET",
                },
                {
                    "href": f"{self.origin}/v1/billing/subscriptions/{subscription_id}",
                    "rel": "self",
                    "method": "GET",
                },
            ],
        }
        self._subscriptions[subscription_id] = subscription
        answer = public_view(subscription)
        if request_id is not None:
            self._idempotency[request_id] = answer
        return web.json_response(answer, status=201)

    def _subscription_of(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The subscription the path names, or the error PayPal answers instead."""
        return self._found(
            request,
            self._subscriptions,
            _error(
                404,
                "RESOURCE_NOT_FOUND",
                "The specified resource does not exist.",
                "INVALID_RESOURCE_ID",
            ),
        )

    def _found(
        self, request: web.Request, objects: dict[str, dict[str, Any]], missing: web.Response
    ) -> dict[str, Any] | web.Response:
        """The object the path names, or the error PayPal answers instead (``missing``: the
        answer of that API to an unknown id)."""
        refused = self._authorized(request)
        if refused is not None:
            return refused
        return objects.get(request.match_info["id"], missing)

    async def _get(self, request: web.Request) -> web.Response:
        subscription = self._subscription_of(request)
        if isinstance(subscription, web.Response):
            return subscription
        return web.json_response(public_view(subscription))

    async def _cancel(self, request: web.Request) -> web.Response:
        subscription = self._subscription_of(request)
        if isinstance(subscription, web.Response):
            return subscription
        if subscription["status"] not in ("ACTIVE", "SUSPENDED"):
            return _error(
                422,
                "UNPROCESSABLE_ENTITY",
                "The requested action could not be performed.",
                "SUBSCRIPTION_STATUS_INVALID",
            )
        await self.cancel(subscription["id"])
        return web.Response(status=204)

    async def _get_sale(self, request: web.Request) -> web.Response:
        missing = _error(404, "INVALID_RESOURCE_ID", "The requested resource ID was not found")
        sale = self._found(request, self._sales, missing)
        return sale if isinstance(sale, web.Response) else web.json_response(sale)

    async def _get_refund(self, request: web.Request) -> web.Response:
        missing = _error(404, "INVALID_RESOURCE_ID", "The requested resource ID was not found")
        refund = self._found(request, self._refunds, missing)
        return refund if isinstance(refund, web.Response) else web.json_response(refund)

    async def _get_dispute(self, request: web.Request) -> web.Response:
        missing = _error(404, "INVALID_RESOURCE_ID", "The requested resource ID was not found")
        dispute = self._found(request, self._disputes, missing)
        return dispute if isinstance(dispute, web.Response) else web.json_response(dispute)

    async def _cert(self, request: web.Request) -> web.Response:
        pem = self.certificates.get(request.match_info["name"])
        if pem is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")
        return web.Response(body=pem, content_type="application/x-pem-file")

    # --- the approval page ---------------------------------------------------------------

    def _by_token(self, request: web.Request) -> dict[str, Any] | None:
        token = request.query.get("ba_token")
        return next((s for s in self._subscriptions.values() if s["_token"] == token), None)

    def _approval_page(self) -> HostedPage[dict[str, Any]]:
        def body(subscription: dict[str, Any]) -> str:
            heading = f"<h1>Approve subscription {html.escape(subscription['id'])}</h1>"
            return heading + button("Agree & Subscribe")

        async def approve(subscription: dict[str, Any]) -> str:
            if subscription["status"] == "APPROVAL_PENDING":
                await self.approve(subscription["id"])
            back = subscription["_return_url"] or f"{self.origin}/"
            query = urlencode(
                {"subscription_id": subscription["id"], "ba_token": subscription["_token"]}
            )
            return f"{back}{'&' if '?' in back else '?'}{query}"

        return HostedPage(
            "PayPal (stand-in)", "This approval link does not exist.", self._by_token, body, approve
        )

    # --- what happens at PayPal -----------------------------------------------------------

    async def approve(self, subscription_id: str) -> dict[str, Any]:
        """The member approves and pays: the subscription is active, its events sent."""
        subscription = self._subscriptions[subscription_id]
        now = self.now()
        period = PERIODS[self.plans[subscription["plan_id"]]]
        subscription.update(
            status="ACTIVE",
            start_time=_paypal_time(now),
            billing_info={
                "outstanding_balance": {"currency_code": "EUR", "value": "0.0"},
                "last_payment": {
                    "amount": {"currency_code": "EUR", "value": "5.00"},
                    "time": _paypal_time(now),
                },
                "next_billing_time": _paypal_time(now + period),
                "failed_payments_count": 0,
            },
        )
        await self._emit(
            "BILLING.SUBSCRIPTION.ACTIVATED", "subscription", public_view(subscription)
        )
        await self._emit("PAYMENT.SALE.COMPLETED", "sale", self._sale(subscription_id))
        return public_view(subscription)

    def _sale(self, subscription_id: str) -> dict[str, Any]:
        sale: dict[str, Any] = {
            "id": f"SALE-{secrets.token_hex(6).upper()}",
            "state": "completed",
            "amount": {"total": "5.00", "currency": "EUR"},
            "billing_agreement_id": subscription_id,
            "create_time": _paypal_time(self.now()),
        }
        self._sales[sale["id"]] = sale
        self._subscriptions[subscription_id]["_last_sale"] = sale["id"]
        return sale

    async def renew(self, subscription_id: str) -> None:
        """The next period is paid: the next billing moves one period on, its sale is sent."""
        subscription = self._subscriptions[subscription_id]
        billing = subscription["billing_info"]
        period = PERIODS[self.plans[subscription["plan_id"]]]
        next_billing = datetime.fromisoformat(billing["next_billing_time"]) + period
        billing["next_billing_time"] = _paypal_time(next_billing)
        billing["last_payment"]["time"] = _paypal_time(self.now())
        await self._emit("PAYMENT.SALE.COMPLETED", "sale", self._sale(subscription_id))

    async def cancel(self, subscription_id: str) -> None:
        await self._set_status(subscription_id, "CANCELLED", "BILLING.SUBSCRIPTION.CANCELLED")

    async def fail_payment(self, subscription_id: str) -> None:
        subscription = self._subscriptions[subscription_id]
        subscription["billing_info"]["failed_payments_count"] += 1
        await self._emit(
            "BILLING.SUBSCRIPTION.PAYMENT.FAILED", "subscription", public_view(subscription)
        )

    async def suspend(self, subscription_id: str) -> None:
        """PayPal suspends the subscription (after failed payments, or the merchant's call)."""
        await self._set_status(subscription_id, "SUSPENDED", "BILLING.SUBSCRIPTION.SUSPENDED")

    async def reactivate(self, subscription_id: str) -> None:
        """A suspended subscription is activated again; its billing is left as it was (the
        next payment is still to come), as PayPal's ``/activate`` leaves it."""
        if self._subscriptions[subscription_id]["status"] != "SUSPENDED":
            raise ValueError(f"PayPal reactivates only a suspended subscription: {subscription_id}")
        await self._set_status(subscription_id, "ACTIVE", "BILLING.SUBSCRIPTION.RE-ACTIVATED")

    async def revise(self, subscription_id: str, plan_id: str) -> None:
        """The subscription moves to another plan (``/revise``, approved by the member):
        PayPal sends the whole subscription, as it is now, in an update."""
        if plan_id not in self.plans:
            raise ValueError(f"no such plan at the stand-in: {plan_id}")
        subscription = self._subscriptions[subscription_id]
        subscription["plan_id"] = plan_id
        await self._emit("BILLING.SUBSCRIPTION.UPDATED", "subscription", public_view(subscription))

    async def _set_status(self, subscription_id: str, status: str, event_type: str) -> None:
        subscription = self._subscriptions[subscription_id]
        subscription["status"] = status
        await self._emit(event_type, "subscription", public_view(subscription))

    async def refund(self, subscription_id: str, amount: str | None = None) -> None:
        """The subscription's last payment is refunded, whole or ``amount`` of it: the event,
        as PayPal's, names its sale (and the sale its subscription), not the subscription; the
        sale is ``partially_refunded`` until refunds reach its total."""
        sale = self._sales[self._subscriptions[subscription_id]["_last_sale"]]
        refunded = amount if amount is not None else sale["amount"]["total"]
        sale["state"] = "refunded" if refunded == sale["amount"]["total"] else "partially_refunded"
        refund = self._refund_of(sale, refunded)
        await self._emit("PAYMENT.SALE.REFUNDED", "refund", refund)

    async def reverse(self, subscription_id: str) -> None:
        """PayPal takes the subscription's last payment back (a chargeback by the buyer's
        bank): the sale is ``reversed`` and the event, as PayPal's sample shows it
        (``resource_type`` "sale"), carries only the reversal: its id, a negative amount and a
        ``self`` link to ``/v1/payments/refund/{id}``, which names the sale."""
        sale = self._sales[self._subscriptions[subscription_id]["_last_sale"]]
        sale["state"] = "reversed"
        reversal = self._refund_of(sale, sale["amount"]["total"])
        resource = {
            "id": reversal["id"],
            "create_time": reversal["create_time"],
            "state": "completed",
            "amount": {
                "total": f"-{reversal['amount']['total']}",
                "currency": sale["amount"]["currency"],
            },
            "links": [reversal["links"][0]],
        }
        await self._emit("PAYMENT.SALE.REVERSED", "sale", resource)

    def _refund_of(self, sale: dict[str, Any], amount: str) -> dict[str, Any]:
        """A refund of ``amount`` of ``sale``, kept for ``GET /v1/payments/refund/{id}``."""
        refund_id = f"REFUND-{secrets.token_hex(6).upper()}"
        refund = {
            "id": refund_id,
            "state": "completed",
            "amount": {"total": amount, "currency": sale["amount"]["currency"]},
            "sale_id": sale["id"],
            "create_time": _paypal_time(self.now()),
            "links": [
                {
                    "href": f"{self.origin}/v1/payments/refund/{refund_id}",
                    "rel": "self",
                    "method": "GET",
                }
            ],
        }
        self._refunds[refund_id] = refund
        return refund

    async def dispute(
        self, *subscription_ids: str, summary_only: bool = False, captures: int = 0
    ) -> str:
        """The buyer disputes the last payment of each subscription in one case; returns its
        id. The event's resource is the dispute in PayPal's shape, its disputed transactions
        naming the sales (``seller_transaction_id``), not the subscriptions; ``summary_only``
        leaves them out, as an event may, for the receiver to read the dispute. ``captures``
        adds that many disputed payments that are no sale (Orders v2 captures, which the sale
        endpoint answers 404), listed first."""
        sales: list[dict[str, Any]] = [
            {
                "id": f"CAPTURE-{secrets.token_hex(6).upper()}",
                "amount": {"total": "9.00", "currency": "EUR"},
                "create_time": _paypal_time(self.now()),
            }
            for _ in range(captures)
        ]
        sales += [self._sales[self._subscriptions[s]["_last_sale"]] for s in subscription_ids]
        now = _paypal_time(self.now())
        dispute_id = f"PP-D-{secrets.token_hex(4).upper()}"
        dispute: dict[str, Any] = {
            "dispute_id": dispute_id,
            "create_time": now,
            "update_time": now,
            "disputed_transactions": [
                {
                    "buyer_transaction_id": f"BUYER-{secrets.token_hex(6).upper()}",
                    "seller_transaction_id": sale["id"],
                    "create_time": sale["create_time"],
                    "transaction_status": "COMPLETED",
                    "gross_amount": {
                        "currency_code": sale["amount"]["currency"],
                        "value": sale["amount"]["total"],
                    },
                }
                for sale in sales
            ],
            "reason": "UNAUTHORISED",
            "status": "OPEN",
            "dispute_life_cycle_stage": "INQUIRY",
            "dispute_channel": "INTERNAL",
        }
        self._disputes[dispute_id] = dispute
        resource = {"dispute_id": dispute_id} if summary_only else dispute
        await self._emit("CUSTOMER.DISPUTE.CREATED", "dispute", resource)
        return dispute_id

    def subscription(self, subscription_id: str) -> dict[str, Any]:
        return public_view(self._subscriptions[subscription_id])

    # --- webhooks --------------------------------------------------------------------------

    async def _emit(self, event_type: str, kind: str, resource: dict[str, Any]) -> None:
        event = {
            "id": f"WH-{uuid.uuid4().hex[:17].upper()}",
            "event_version": "1.0",
            "create_time": _paypal_time(self.now()),
            "resource_type": kind,
            "event_type": event_type,
            "summary": event_type.replace(".", " ").lower(),
            "resource": resource,
        }
        self.webhooks.events.append(event)
        if self.webhooks.deliver and self.webhooks.url is not None:
            await self.send(event)

    def signed(
        self,
        event: dict[str, Any],
        *,
        sent_at: datetime | None = None,
        key: rsa.RSAPrivateKey | None = None,
        cert_url: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and transmission headers of ``event``, as PayPal signs them."""
        body = json.dumps(event, separators=(",", ":")).encode()
        transmission_id = str(uuid.uuid4())
        transmission_time = _paypal_time(sent_at or datetime.now(UTC))
        message = signed_message(transmission_id, transmission_time, self.webhook_id, body)
        signature = (key or self.signer.key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url or self.cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }
        return body, headers

    async def send(
        self,
        event: dict[str, Any],
        *,
        sent_at: datetime | None = None,
        key: rsa.RSAPrivateKey | None = None,
        cert_url: str | None = None,
        body: bytes | None = None,
    ) -> int:
        """POST ``event`` signed to the webhook endpoint (``body`` replaces the signed body)."""
        signed_body, headers = self.signed(event, sent_at=sent_at, key=key, cert_url=cert_url)
        return await self.webhooks.post(event, body if body is not None else signed_body, headers)
