"""The premium desk: a member's status in words, and the links to pay or manage.

The Utility Bot's commands and the dashboard's premium page share it.

``/premium`` shows the member's own premium and their server's, with the dashboard link to
manage or cancel it; a member who has not logged in to the dashboard yet gets its login link,
which comes back to the premium page. ``/subscribe`` makes a Stripe Checkout or PayPal approval
link for that member and that plan. Nothing here knows discord.py.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import select

from botfleet.config.schema import Settings
from botfleet.database.base import Database
from botfleet.database.models import User
from botfleet.errors import UserError
from botfleet.payments.errors import PaymentsNotConfiguredError, StripeCustomerGoneError
from botfleet.payments.messages import date_tag
from botfleet.payments.plans import PlanNotOfferedError, Purchase
from botfleet.services.premium.rules import Membership, Plan, Scope, Status, Subject
from botfleet.services.premium.service import PremiumService

if TYPE_CHECKING:
    from botfleet.payments.paypal import PayPalGateway
    from botfleet.payments.stripe_client import StripeGateway

log = logging.getLogger(__name__)

UNAVAILABLE = "Payments are not available right now; please try again in a few minutes."
PAYPAL_AUTOPAY = "https://www.paypal.com/myaccount/autopay/"
"""Where a PayPal member sees and cancels their automatic payments."""


class Provider(StrEnum):
    STRIPE = "stripe"
    PAYPAL = "paypal"

    @property
    def label(self) -> str:
        return "PayPal" if self is Provider.PAYPAL else "Stripe"


@dataclass(frozen=True, slots=True)
class Offer:
    """A plan the operator sells through one provider."""

    provider: Provider
    scope: Scope
    plan: Plan

    @property
    def key(self) -> str:
        """The plan's key in the configuration, as :attr:`Purchase.key` spells it."""
        return f"{self.scope.value}_{self.plan.value}"


def offers_in(provider: Provider, plan_keys: Iterable[str]) -> list[Offer]:
    """The offers of ``provider`` named by the configuration's plan keys (unknown keys skipped)."""
    offers = []
    for key in plan_keys:
        scope, _, plan = key.partition("_")
        if scope in set(Scope) and plan in set(Plan):
            offers.append(Offer(provider, Scope(scope), Plan(plan)))
    return sorted(offers, key=lambda offer: (offer.scope != Scope.USER, offer.plan.value))


@dataclass(frozen=True, slots=True)
class PremiumStatus:
    """What ``/premium`` shows one member."""

    member: Membership | None
    server: Membership | None
    logged_in: bool
    link: str
    """The dashboard's premium page, or its login link that returns there."""
    manage: str | None = None
    """Where the member manages or cancels the subscription they pay (the provider's page)."""


def describe_membership(
    whose: str,
    membership: Membership | None,
    now: datetime,
    show_date: Callable[[datetime], str] = date_tag,
) -> str:
    """One line: whether ``whose`` premium is on, until when, and whether it renews.

    ``show_date`` writes the date: a Discord timestamp tag by default, plain text for the web.
    """
    if membership is None or not membership.is_active(now):
        return f"{whose}: no premium."
    until = show_date(membership.premium_until)
    if membership.status is Status.PAST_DUE:
        return f"{whose}: premium until {until}; the last payment failed, so it may not renew."
    if membership.status is Status.CANCELED or membership.cancel_at_period_end:
        return f"{whose}: premium until {until}; it will not renew."
    if membership.provider in ("admin", "legacy"):
        return f"{whose}: premium until {until}, granted by the operators."
    plan = f"{membership.plan} plan" if membership.plan else "subscription"
    return f"{whose}: premium, renews on {until} ({plan})."


async def _imported(name: str) -> ModuleType:
    """The module ``name``, imported in a thread: Stripe's SDK takes about 0.3 s and PayPal's
    module (cryptography's X.509) about 0.7 s, too long to hold the event loop.

    Always through the import system, never straight from ``sys.modules``: a module another
    thread is importing is there half-initialised, and only the import system waits for it.
    """
    return await asyncio.to_thread(importlib.import_module, name)


def provider_error(provider: Provider) -> type[Exception]:
    """The error ``provider``'s gateway raises when the provider refuses or does not answer.

    Only asked once the provider's gateway is made, so its module is already imported (in a
    thread, at the first payment, never when the bot starts: see :class:`PremiumDesk`).
    """
    if provider is Provider.STRIPE:
        import stripe  # noqa: PLC0415

        return stripe.StripeError
    from botfleet.payments.paypal import PayPalError  # noqa: PLC0415

    return PayPalError


class PremiumDesk:
    """Premium status and payment links for the Utility Bot's commands.

    Each gateway is built at its first use: Stripe's SDK (about 12 MB resident) and the
    cryptography PayPal's needs (about 6 MB) are imported when a member pays or manages a
    subscription, not when an idle bot starts.
    """

    def __init__(self, database: Database, premium: PremiumService, settings: Settings) -> None:
        self.database = database
        self.premium = premium
        self.settings = settings
        self.public_url = settings.web.public_url.rstrip("/")
        payments = settings.payments
        self._stripe_configured = payments.stripe_api_key is not None
        self._paypal_configured = (
            payments.paypal_client_id is not None and payments.paypal_client_secret is not None
        )
        self._stripe: StripeGateway | None = None
        self._paypal: PayPalGateway | None = None
        self._building = {provider: asyncio.Lock() for provider in Provider}
        """Held while a provider's gateway is made: checkouts arriving meanwhile wait for it."""

    async def close(self) -> None:
        for gateway in (self._stripe, self._paypal):
            if gateway is not None:
                await gateway.close()

    @property
    def providers(self) -> list[Provider]:
        """The providers the operator set up, Stripe first."""
        offered = [
            (Provider.STRIPE, self._stripe_configured),
            (Provider.PAYPAL, self._paypal_configured),
        ]
        return [provider for provider, configured in offered if configured]

    async def _stripe_gateway(self) -> StripeGateway:
        if not self._stripe_configured:
            raise PaymentsNotConfiguredError("Stripe")
        if self._stripe is None:
            async with self._building[Provider.STRIPE]:
                if self._stripe is None:  # not made by a checkout that held the lock first
                    module = await _imported("botfleet.payments.stripe_client")
                    self._stripe = module.StripeGateway(self.settings.payments, self.public_url)
        return self._stripe

    async def _paypal_gateway(self) -> PayPalGateway:
        if not self._paypal_configured:
            raise PaymentsNotConfiguredError("PayPal")
        if self._paypal is None:
            async with self._building[Provider.PAYPAL]:
                if self._paypal is None:  # not made by a checkout that held the lock first
                    module = await _imported("botfleet.payments.paypal")
                    self._paypal = module.PayPalGateway(self.settings.payments, self.public_url)
        return self._paypal

    @property
    def offers(self) -> list[Offer]:
        """Every plan on sale, by provider (Stripe first), the member's own plans first."""
        payments = self.settings.payments
        keys = {Provider.STRIPE: payments.stripe_prices, Provider.PAYPAL: payments.paypal_plans}
        return [
            offer for provider in self.providers for offer in offers_in(provider, keys[provider])
        ]

    async def manage_link(self, user_id: int) -> str | None:
        """Where ``user_id`` manages or cancels a subscription they pay, if one still renews."""
        return await self._manage_link(await self.premium.paid_by(user_id))

    async def status(self, user_id: int, guild_id: int | None) -> PremiumStatus:
        member = await self.premium.membership(Subject.user(user_id))
        server = await self.premium.membership(Subject.guild(guild_id)) if guild_id else None
        async with self.database.session() as session:
            token = await session.scalar(select(User.access_token).where(User.id == user_id))
        logged_in = token is not None
        link = (
            f"{self.public_url}/premium" if logged_in else f"{self.public_url}/login?next=/premium"
        )
        paid = [m for m in (member, server) if m is not None and m.purchaser_id == user_id]
        return PremiumStatus(member, server, logged_in, link, await self._manage_link(paid))

    async def _manage_link(self, memberships: list[Membership]) -> str | None:
        """The provider's page for the first of ``memberships`` still renewing."""
        for membership in memberships:
            if membership.status in (Status.CANCELED, Status.REVOKED):
                continue
            if membership.provider == Provider.PAYPAL.value:
                return PAYPAL_AUTOPAY
            if membership.provider == Provider.STRIPE.value and membership.customer_id:
                if not self._stripe_configured:
                    continue
                try:
                    gateway = await self._stripe_gateway()
                    return await gateway.portal_link(membership.customer_id)
                except provider_error(Provider.STRIPE) as exc:
                    log.warning("no Stripe portal for %s: %s", membership.subject, exc)
        return None

    async def _stripe_customer(self, user_id: int) -> str | None:
        """The Stripe customer of ``user_id``'s latest Stripe purchase, if they made one."""
        for membership in await self.premium.paid_by(user_id):
            if membership.provider == Provider.STRIPE.value and membership.customer_id:
                return membership.customer_id
        return None

    async def _stripe_checkout(self, purchase: Purchase, attempt: str) -> str:
        """A Checkout Session as the member's Stripe customer, if Stripe still has it; one
        deleted in Stripe's dashboard is forgotten and the member pays as their next stored
        customer, or as a new one when none is left."""
        gateway = await self._stripe_gateway()
        customer = await self._stripe_customer(purchase.buyer_id)
        while customer is not None:
            try:
                return await gateway.create_checkout(purchase, attempt=attempt, customer=customer)
            except StripeCustomerGoneError:
                log.warning(
                    "Stripe no longer has customer %s of user %s (deleted in its dashboard): "
                    "forgotten, the checkout tries their next one or makes a new one",
                    customer,
                    purchase.buyer_id,
                )
                # The id sent, forgotten: the next look-up cannot return it again.
                await self.premium.forget_customer(Provider.STRIPE.value, customer)
            customer = await self._stripe_customer(purchase.buyer_id)
        return await gateway.create_checkout(purchase, attempt=attempt)

    async def payment_link(
        self, purchase: Purchase, provider: Provider | None, *, attempt: str
    ) -> tuple[Provider, str]:
        """The link where the member pays for ``purchase``, and the provider it goes to.

        Raises :class:`UserError` with words for the member when it cannot be made.
        """
        chosen = provider or (self.providers[0] if self.providers else None)
        if chosen is None:
            raise UserError(
                "Premium is not for sale on this bot: the operators set up no payments."
            )
        try:
            if chosen is Provider.STRIPE:
                return chosen, await self._stripe_checkout(purchase, attempt)
            paypal_gateway = await self._paypal_gateway()
            return chosen, await paypal_gateway.create_subscription(purchase, attempt=attempt)
        except PaymentsNotConfiguredError:
            offered = " or ".join(p.label for p in self.providers) or "nothing"
            raise UserError(
                f"{chosen.label} is not set up here; this bot takes {offered}."
            ) from None
        except PlanNotOfferedError:
            raise UserError(
                f"That plan is not offered through {chosen.label}; try another plan."
            ) from None
        except provider_error(chosen) as exc:
            log.error("%s could not make a payment link for %s: %s", chosen, purchase, exc)
            raise UserError(UNAVAILABLE) from exc
