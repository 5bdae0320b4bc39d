"""PayPal subscriptions: a small async REST client, offline webhook verification, event changes.

PayPal has no usable async SDK; its REST API is small: an OAuth2 client-credentials token,
``/v1/billing/subscriptions`` to create (with ``custom_id`` naming the member), read and cancel.
A webhook is verified offline, as PayPal documents: the RSA-SHA256 signature in
``PAYPAL-TRANSMISSION-SIG`` over ``transmission_id|transmission_time|webhook_id|crc32(body)``,
checked with the certificate at ``PAYPAL-CERT-URL``, which is fetched only over HTTPS from PayPal's
own hosts (a stand-in's host only when the configuration names it) and cached. The certificate
must chain, through the intermediates served with it, up to a trusted CA (the ``certifi`` bundle,
or ``paypal_ca_file``) and name PayPal's message-verification host (``paypal_cert_subject``), so a
certificate anyone could make is refused even from an allowed URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Self
from urllib.parse import urlsplit

import aiohttp
import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from botfleet.config.schema import PaymentsSection
from botfleet.payments import messages
from botfleet.payments.errors import PaymentsNotConfiguredError, WebhookRejectedError
from botfleet.payments.events import ProviderEvent, decode_event
from botfleet.payments.plans import PlanNotOfferedError, Purchase
from botfleet.services.premium import (
    BySubscription,
    Cancel,
    Change,
    Grant,
    PastDue,
    PaymentEvent,
    Plan,
    Revoke,
    Scope,
    Subject,
)
from botfleet.services.premium.service import Notify, Target, no_messages

log = logging.getLogger(__name__)

PROVIDER: Final = "paypal"
PAYPAL_CERT_HOSTS: Final = frozenset(
    {"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"}
)
PAYPAL_CERT_SUBJECT: Final = "messageverificationcerts.paypal.com"
"""The host PayPal's webhook certificates name."""
REVOKING: Final = frozenset(
    {"PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED", "CUSTOMER.DISPUTE.CREATED"}
)
"""Events after which the subscriptions they name are canceled too, not only premium ended."""
STATUS_EVENTS: Final[Mapping[str, str | None]] = {
    "BILLING.SUBSCRIPTION.CANCELLED": "CANCELLED",
    "BILLING.SUBSCRIPTION.SUSPENDED": "SUSPENDED",
    "BILLING.SUBSCRIPTION.UPDATED": None,
}
"""Events applied as the subscription's status, a fixed one or (None) the resource's own."""
HANDLED: Final = frozenset(
    {
        "BILLING.SUBSCRIPTION.ACTIVATED",
        "BILLING.SUBSCRIPTION.RE-ACTIVATED",
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
        "PAYMENT.SALE.COMPLETED",
        *STATUS_EVENTS,
        *REVOKING,
    }
)
"""The events :func:`translate` turns into premium changes: the webhook's subscription list."""
TIMEOUT: Final = aiohttp.ClientTimeout(total=20)
MAX_CERT_BYTES: Final = 64 * 1024


class PayPalError(RuntimeError):
    """PayPal answered with an error (its ``name`` and ``message``), or not at all."""


class PayPalNotFoundError(PayPalError):
    """PayPal answered 404: what the request names does not exist there (a retry cannot help)."""


def custom_id(purchase: Purchase) -> str:
    """The member (and server) a subscription pays for: ``<buyer>`` or ``<buyer>/guild/<id>``."""
    if purchase.subject.scope is Scope.USER:
        return str(purchase.buyer_id)
    return f"{purchase.buyer_id}/guild/{purchase.subject.id}"


def parse_custom_id(value: str | None) -> tuple[int, Subject] | None:
    """The buyer and subject of a ``custom_id``, or None when it is not one of ours."""
    if not value:
        return None
    parts = value.split("/")
    try:
        buyer = int(parts[0])
        if len(parts) == 1:
            return buyer, Subject.user(buyer)
        if len(parts) == 3 and parts[1] == "guild":
            return buyer, Subject.guild(int(parts[2]))
    except ValueError:
        return None
    return None


def signed_message(
    transmission_id: str, transmission_time: str, webhook_id: str, raw: bytes
) -> bytes:
    """What PayPal signs: the transmission, our webhook's id and the body's CRC32 (decimal)."""
    crc = zlib.crc32(raw) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


class PayPalGateway:
    """PayPal's REST API and webhook verification; one per process, closed with :meth:`close`."""

    def __init__(self, settings: PaymentsSection, public_url: str) -> None:
        if settings.paypal_client_id is None or settings.paypal_client_secret is None:
            raise PaymentsNotConfiguredError(
                "PayPal needs PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET"
            )
        self.settings = settings
        self.base_url = settings.paypal_api_base.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self._basic_auth = aiohttp.encode_basic_auth(
            settings.paypal_client_id, settings.paypal_client_secret.get_secret_value()
        )
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None
        self._certificates: dict[str, x509.Certificate] = {}
        self._roots: Store | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def _call(
        self, method: str, path: str, **request: Any
    ) -> tuple[int, dict[str, Any] | None]:
        """PayPal's status and JSON object for one request; PayPalError for any other answer.

        A refused connection, a timeout, an HTML error page from PayPal's edge, or JSON that is
        not an object all become :class:`PayPalError`, so callers handle one error.
        """
        try:
            async with self._http().request(
                method, f"{self.base_url}{path}", **request
            ) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PayPalError(f"PayPal did not answer {method} {path}: {exc!r}") from exc
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if raw and not isinstance(body, dict):
            raise PayPalError(
                f"PayPal {method} {path}: {status} with a body that is not a JSON object "
                f"({raw[:60]!r})"
            )
        return status, body

    async def _access_token(self) -> str:
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        status, body = await self._call(
            "POST",
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic_auth},
        )
        answer = body or {}
        token, lifetime = answer.get("access_token"), answer.get("expires_in", 0)
        if status != 200 or not isinstance(token, str) or not isinstance(lifetime, int | float):
            raise PayPalError(
                f"PayPal refused the credentials: {status} {answer.get('error', '')}".strip()
            )
        self._token = (token, time.monotonic() + max(float(lifetime) - 60, 0))
        return token

    async def _request(
        self, method: str, path: str, body: Any = None, *, request_id: str | None = None
    ) -> dict[str, Any]:
        """PayPal's answer to an API call (an empty object for an empty answer)."""
        headers = {"Authorization": f"Bearer {await self._access_token()}"}
        if request_id is not None:
            headers["PayPal-Request-Id"] = request_id
        status, answer = await self._call(method, path, json=body, headers=headers)
        detail = answer or {}
        if status >= 400:
            error = PayPalNotFoundError if status == 404 else PayPalError
            raise error(
                f"PayPal {method} {path}: {status} "
                f"{detail.get('name', '')} {detail.get('message', '')}".strip()
            )
        return detail

    def plan_id(self, purchase: Purchase) -> str:
        try:
            return self.settings.paypal_plans[purchase.key]
        except KeyError:
            raise PlanNotOfferedError(
                f"PayPal has no plan for {purchase.key.replace('_', ' ')}"
            ) from None

    def plan_of(self, plan_id: str | None) -> Plan | None:
        for key, configured in self.settings.paypal_plans.items():
            if configured == plan_id:
                return Plan(key.split("_", 1)[1])
        return None

    async def create_subscription(self, purchase: Purchase, *, attempt: str | None = None) -> str:
        """A subscription for ``purchase``; returns the link where the member approves it."""
        created = await self._request(
            "POST",
            "/v1/billing/subscriptions",
            {
                "plan_id": self.plan_id(purchase),
                "custom_id": custom_id(purchase),
                "application_context": {
                    "brand_name": "botfleet",
                    "user_action": "SUBSCRIBE_NOW",
                    "return_url": f"{self.public_url}/premium?paypal=done",
                    "cancel_url": f"{self.public_url}/premium?paypal=canceled",
                },
            },
            request_id=f"subscribe-{purchase.buyer_id}-{purchase.key}-{attempt or uuid.uuid4()}",
        )
        for link in created.get("links") or []:
            if isinstance(link, dict) and link.get("rel") == "approve" and link.get("href"):
                log.info("PayPal subscription %s for %s", created.get("id"), purchase.buyer_id)
                return str(link["href"])
        raise PayPalError("PayPal returned a subscription without an approval link")

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/v1/billing/subscriptions/{subscription_id}")

    async def sale(self, sale_id: str) -> dict[str, Any]:
        """A payment (sale); a subscription's names it as ``billing_agreement_id``."""
        return await self._request("GET", f"/v1/payments/sale/{sale_id}")

    async def refund(self, refund_id: str) -> dict[str, Any]:
        """A refund or reversal, naming the sale it takes back (``sale_id``)."""
        return await self._request("GET", f"/v1/payments/refund/{refund_id}")

    async def dispute(self, dispute_id: str) -> dict[str, Any]:
        """A dispute's details (its disputed transactions), when its event left them out."""
        return await self._request("GET", f"/v1/customer/disputes/{dispute_id}")

    async def cancel_subscription(self, subscription_id: str) -> None:
        await self._request(
            "POST",
            f"/v1/billing/subscriptions/{subscription_id}/cancel",
            {"reason": "Payment refunded or reversed"},
        )
        log.info("PayPal subscription %s canceled", subscription_id)

    # --- webhooks -------------------------------------------------------------------------

    def _allowed_cert_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.hostname in self.settings.paypal_cert_hosts:
            return parts.scheme in ("http", "https")
        return parts.scheme == "https" and parts.hostname in PAYPAL_CERT_HOSTS

    async def _certificate(self, url: str) -> x509.Certificate:
        cached = self._certificates.get(url)
        if cached is not None:
            return cached
        if not self._allowed_cert_url(url):
            raise WebhookRejectedError(f"certificate URL not on PayPal's hosts: {url!r}")
        try:
            async with self._http().get(url, allow_redirects=False) as response:
                pem = await response.content.read(MAX_CERT_BYTES + 1)
                if response.status != 200 or len(pem) > MAX_CERT_BYTES:
                    raise PayPalError(f"certificate {url}: HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PayPalError(f"certificate {url} not fetched: {exc!r}") from exc
        try:
            leaf, *intermediates = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise WebhookRejectedError(f"certificate {url} is not a PEM certificate") from exc
        verifier = (
            PolicyBuilder()
            .store(await self._trusted_roots())
            .build_server_verifier(DNSName(self.settings.paypal_cert_subject))
        )
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise WebhookRejectedError(
                f"certificate {url} is not PayPal's ({self.settings.paypal_cert_subject}, "
                f"issued under a trusted CA): {exc}"
            ) from exc
        self._certificates[url] = leaf
        return leaf

    async def _trusted_roots(self) -> Store:
        """The CAs a webhook certificate must chain up to, read once (off the event loop)."""
        if self._roots is None:
            path = self.settings.paypal_ca_file or Path(certifi.where())
            pem = await asyncio.to_thread(path.read_bytes)
            self._roots = Store(x509.load_pem_x509_certificates(pem))
        return self._roots

    async def verify_webhook(self, raw: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The event of a webhook whose signature holds and is recent; else rejected."""
        webhook_id = self.settings.paypal_webhook_id
        try:
            transmission_id = headers["PAYPAL-TRANSMISSION-ID"]
            transmission_time = headers["PAYPAL-TRANSMISSION-TIME"]
            signature = base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"], validate=True)
            cert_url = headers["PAYPAL-CERT-URL"]
            algorithm = headers.get("PAYPAL-AUTH-ALGO", "SHA256withRSA")
            sent_at = _time(transmission_time)
        except (KeyError, ValueError, binascii.Error) as exc:
            raise WebhookRejectedError(
                f"PayPal transmission headers missing or malformed: {exc!r}"
            ) from exc
        if webhook_id is None:
            raise WebhookRejectedError("no PayPal webhook id is configured")
        if algorithm != "SHA256withRSA":
            raise WebhookRejectedError(f"unexpected signature algorithm {algorithm!r}")
        age = datetime.now(UTC) - sent_at
        tolerance = timedelta(seconds=self.settings.webhook_tolerance)
        if abs(age) > tolerance:
            raise WebhookRejectedError(f"transmission time {transmission_time} outside tolerance")
        certificate = await self._certificate(cert_url)
        now = datetime.now(UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise WebhookRejectedError("PayPal's certificate is not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookRejectedError("PayPal's certificate does not hold an RSA key")
        try:
            key.verify(
                signature,
                signed_message(transmission_id, transmission_time, webhook_id, raw),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise WebhookRejectedError("signature does not match the body") from exc
        return decode_event(
            raw,
            "PayPal",
            lambda body: (
                str(body["event_type"]),
                _time(str(body["create_time"])),
                body["resource"],
            ),
        )


async def translate(event: ProviderEvent, gateway: PayPalGateway) -> PaymentEvent:
    """The premium change of a verified PayPal event."""
    resource, at = event.object, event.created
    target: Target | tuple[Target, ...] | None = None
    change: Change | None = None
    notify: Notify = no_messages
    if event.type.startswith("BILLING.SUBSCRIPTION."):
        subscription_id = str(resource.get("id"))
        named = parse_custom_id(resource.get("custom_id"))
        target = named[1] if named is not None else BySubscription(subscription_id)
        if event.type == "BILLING.SUBSCRIPTION.ACTIVATED":
            change = _grant(resource, at, gateway)
            notify = messages.confirmation
        elif event.type in STATUS_EVENTS:
            status = STATUS_EVENTS[event.type] or resource.get("status")
            change = _subscription_change(resource, status, at, gateway)
        elif event.type == "BILLING.SUBSCRIPTION.RE-ACTIVATED":
            change = _reactivation(resource, at, gateway)
        elif event.type == "BILLING.SUBSCRIPTION.PAYMENT.FAILED":
            change, notify = PastDue(at=at), messages.payment_failed
    elif event.type == "PAYMENT.SALE.COMPLETED" and resource.get("billing_agreement_id"):
        subscription = await gateway.subscription(str(resource["billing_agreement_id"]))
        named = parse_custom_id(subscription.get("custom_id"))
        target = named[1] if named is not None else BySubscription(subscription["id"])
        change = _grant(subscription, at, gateway)
    elif event.type == "CUSTOMER.DISPUTE.CREATED":
        agreements = await _disputed_subscriptions(event, gateway)
        if agreements:
            target = tuple(BySubscription(agreement) for agreement in agreements)
            change, notify = Revoke(at=at), messages.revoked
    elif event.type in REVOKING:
        agreement = await _refunded_subscription(event, gateway)
        if agreement is not None:
            target = BySubscription(agreement)
            change, notify = Revoke(at=at), messages.revoked
    return PaymentEvent(PROVIDER, event.id, event.type, target, change, notify)


async def _refunded_subscription(event: ProviderEvent, gateway: PayPalGateway) -> str | None:
    """The subscription whose payment a refund or reversal takes back.

    A refund's resource names only the sale it refunds, whose ``billing_agreement_id`` is the
    subscription. A reversal's (PayPal's sample: ``resource_type`` "sale") names neither: it is
    the reversal itself, a refund PayPal made, read back for its ``sale_id``. A partial refund
    (a goodwill gesture) takes nothing back, as Stripe's partial refunds do not.
    """
    resource = event.object
    agreement = resource.get("billing_agreement_id")
    sale_id = resource.get("sale_id")
    if not agreement and not sale_id and event.type == "PAYMENT.SALE.REVERSED":
        sale_id = await _reversed_sale(event, gateway)
    if not agreement and sale_id:
        sale = await gateway.sale(str(sale_id))
        if sale.get("state") == "partially_refunded":
            log.info(
                "PayPal %s %s refunds part of sale %s: premium unchanged",
                event.type,
                event.id,
                sale_id,
            )
            return None
        agreement = sale.get("billing_agreement_id")
    if not agreement:
        log.warning(
            "PayPal %s %s is no subscription's payment: premium unchanged",
            event.type,
            event.id,
        )
        return None
    return str(agreement)


async def _reversed_sale(event: ProviderEvent, gateway: PayPalGateway) -> str | None:
    """The sale a reversal takes back, read from the reversal; None (logged) when PayPal knows
    no such refund, so it does not resend the event for days."""
    reversal_id = str(event.object.get("id") or "")
    if not reversal_id:
        return None
    try:
        sale_id = (await gateway.refund(reversal_id)).get("sale_id")
    except PayPalNotFoundError:
        log.warning("PayPal reversal %s of event %s is unknown to PayPal", reversal_id, event.id)
        return None
    return str(sale_id) if sale_id else None


async def _disputed_subscriptions(event: ProviderEvent, gateway: PayPalGateway) -> list[str]:
    """The subscriptions whose payments a new dispute contests: a disputed transaction that
    is a sale (``seller_transaction_id``) names its subscription; one PayPal knows no sale of
    (an Orders capture, an invoice) is skipped, logged, so the case's sales still end their
    subscriptions and PayPal does not resend it for days; a dispute of anything else changes no
    premium, logged. Any other failure to read a sale raises, for PayPal to resend."""
    dispute = event.object
    if "disputed_transactions" not in dispute:
        dispute = await gateway.dispute(str(dispute["dispute_id"]))
    agreements: list[str] = []
    for transaction in dispute.get("disputed_transactions") or []:
        sale_id = transaction.get("seller_transaction_id")
        if not sale_id:
            continue
        try:
            agreement = (await gateway.sale(str(sale_id))).get("billing_agreement_id")
        except PayPalNotFoundError:
            log.warning(
                "PayPal dispute %s contests transaction %s, which is no sale: skipped",
                dispute.get("dispute_id"),
                sale_id,
            )
            continue
        if agreement and agreement not in agreements:
            agreements.append(str(agreement))
    if not agreements:
        log.warning(
            "PayPal dispute %s contests no subscription's payment: premium unchanged",
            dispute.get("dispute_id"),
        )
    return agreements


def _next_billing(subscription: dict[str, Any]) -> datetime | None:
    value = (subscription.get("billing_info") or {}).get("next_billing_time")
    return _time(value) if value else None


def _subscription_change(
    subscription: dict[str, Any], status: str | None, at: datetime, gateway: PayPalGateway
) -> Change | None:
    """The subscription as PayPal says it is now (an update, a suspension, a cancellation):
    active to its next billing (without a DM, as Stripe's updates), past due, or ended then.
    The rules ignore it when a newer state is in force."""
    if status == "ACTIVE":
        return _grant(subscription, at, gateway)
    if status == "SUSPENDED":
        return PastDue(at=at)
    if status in ("CANCELLED", "EXPIRED"):
        return Cancel(at=at, ends_at=_next_billing(subscription) or at)
    return None


def _reactivation(
    subscription: dict[str, Any], at: datetime, gateway: PayPalGateway
) -> Grant | None:
    """Active again after a suspension, to the end of the period already paid and no later:
    the next billing a reactivated subscription shows is a payment still to come, so the grant
    ends at the event (the rules keep the later paid end already stored)."""
    grant = _grant(subscription, at, gateway)
    if grant is None:
        return None
    return replace(grant, period_end=min(grant.period_end, at))


def _grant(subscription: dict[str, Any], at: datetime, gateway: PayPalGateway) -> Grant | None:
    period_end = _next_billing(subscription)
    if period_end is None or subscription.get("status") != "ACTIVE":
        return None
    named = parse_custom_id(subscription.get("custom_id"))
    plan = gateway.plan_of(subscription.get("plan_id"))
    return Grant(
        at=at,
        period_end=period_end,
        provider=PROVIDER,
        plan=plan.value if plan is not None else None,
        subscription_id=str(subscription["id"]),
        purchaser_id=named[0] if named is not None else None,
    )
