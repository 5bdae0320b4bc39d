"""The dashboard's premium page: what the member has, the plans on sale, paying and managing.

It shares the premium desk of the Utility Bot's ``/premium`` and ``/subscribe``: the same status,
the same payment links (a Stripe Checkout Session or a PayPal approval, naming the member), the
same provider page to manage or cancel. Every button is a form with the session's CSRF token;
the member leaves for the provider's page by a 303 from our own route.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from botfleet.errors import UserError
from botfleet.payments.desk import Offer, PremiumDesk, describe_membership
from botfleet.payments.plans import Purchase
from botfleet.services.premium import Subject
from botfleet.services.premium.outbox import Delivery, last_undelivered
from botfleet.services.premium.rules import Scope, Status
from botfleet.web.inputs import snowflake
from botfleet.web.keys import DATABASE_KEY, SETTINGS_KEY
from botfleet.web.pages import guild_names, require_login
from botfleet.web.rendering import PAGE_HEADERS, redirect, render
from botfleet.web.sessions import checked_form
from botfleet.web.webhooks import PREMIUM_KEY

log = logging.getLogger(__name__)

DESK_KEY = web.AppKey("premium_desk", PremiumDesk)
PROVIDER_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")
PAYPAL_PAGES = ("https://www.paypal.com", "https://www.sandbox.paypal.com")
CHECKOUT_NOTICES = {
    "done": "Thank you: your payment went through. Premium shows here as soon as the provider "
    "confirms it, usually within seconds.",
    "canceled": "Checkout canceled: nothing was charged.",
}
ATTEMPT_BYTES = 16


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def provider_origins(app: web.Application) -> tuple[str, ...]:
    """Where the premium page's forms may lead: the providers' own pages (or their stand-ins)."""
    payments = app[SETTINGS_KEY].payments
    configured = [payments.stripe_api_base, payments.paypal_api_base]
    stand_ins = [origin for url in configured if url and (origin := _origin(url))]
    return tuple(dict.fromkeys([*PROVIDER_PAGES, *PAYPAL_PAGES, *stand_ins]))


def web_date(moment: datetime) -> str:
    """A date as the page shows it: ``6 December 2026 (UTC)``."""
    return f"{moment.astimezone(UTC):%-d %B %Y} (UTC)"


def _page(request: web.Request, context: dict[str, Any], *, status: int = 200) -> web.Response:
    """The premium page, whose forms (and their redirects) may go on to the providers."""
    response = render(request, "premium.html", context, status=status)
    origins = " ".join(provider_origins(request.app))
    response.headers["Content-Security-Policy"] = PAGE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {origins}"
    )
    return response


async def _context(request: web.Request, user_id: int, **extra: Any) -> dict[str, Any]:
    desk = request.app[DESK_KEY]
    paid = await desk.premium.paid_by(user_id)
    names = await guild_names(request)
    own = await desk.premium.membership(Subject.user(user_id))
    now = datetime.now(UTC)
    servers = [m for m in paid if m.subject.scope is Scope.GUILD]
    return {
        "own": describe_membership("You", own, now, web_date),
        "servers": [
            describe_membership(names.get(m.subject.id, f"Server {m.subject.id}"), m, now, web_date)
            for m in servers
        ],
        "renewing": any(m.status not in (Status.CANCELED, Status.REVOKED) for m in paid),
        "guild_names": names,
        "guild_choices": sorted(names.items(), key=lambda item: item[1].lower()),
        "offers": desk.offers,
        "attempt": secrets.token_urlsafe(ATTEMPT_BYTES),
        "notice": CHECKOUT_NOTICES.get(
            request.query.get("checkout") or request.query.get("paypal", "")
        ),
        "dms_closed": await last_undelivered(desk.database, user_id) is Delivery.DMS_CLOSED,
        "errors": [],
        **extra,
    }


async def premium_page(request: web.Request) -> web.Response:
    user_id = require_login(request)
    return _page(request, await _context(request, user_id))


def _offer_of(desk: PremiumDesk, provider: str, plan_key: str) -> Offer | None:
    for offer in desk.offers:
        if offer.provider.value == provider and offer.key == plan_key:
            return offer
    return None


async def checkout(request: web.Request) -> web.Response:
    """Make the member's payment link for the chosen plan and send them to it."""
    form = await checked_form(request)
    user_id = require_login(request)
    desk = request.app[DESK_KEY]
    offer = _offer_of(desk, str(form.get("provider", "")), str(form.get("plan", "")))
    attempt = str(form.get("attempt", ""))
    problem: str | None = None
    subject = Subject.user(user_id)
    if offer is None:
        problem = "That plan is not on sale; choose one of the plans below."
    elif offer.scope is Scope.GUILD:
        guild_id = snowflake(str(form.get("guild_id", "")))
        if guild_id is None or guild_id not in await guild_names(request):
            problem = "Choose one of your servers for a server plan."
        else:
            subject = Subject.guild(guild_id)
    if not 0 < len(attempt) <= 2 * ATTEMPT_BYTES or not attempt.isascii():
        problem = "This form has expired. Reload the page and try again."
    if offer is None or problem is not None:
        log.info("premium checkout refused for user %s: %s", user_id, problem)
        context = await _context(request, user_id, errors=[problem])
        return _page(request, context, status=400)
    purchase = Purchase(user_id, subject, offer.plan)
    try:
        _, link = await desk.payment_link(purchase, offer.provider, attempt=f"web-{attempt}")
    except UserError as exc:
        return _page(request, await _context(request, user_id, errors=[str(exc)]), status=502)
    log.info("user %s goes to %s for %s", user_id, offer.provider.label, purchase.key)
    return redirect(link)


async def manage(request: web.Request) -> web.Response:
    """Send the member to the provider's page where they manage or cancel what they pay."""
    await checked_form(request)
    user_id = require_login(request)
    link = await request.app[DESK_KEY].manage_link(user_id)
    if link is None:
        log.info("user %s asked to manage premium but pays no renewing subscription", user_id)
        problem = "You pay no subscription that still renews, so there is nothing to manage."
        return _page(request, await _context(request, user_id, errors=[problem]), status=404)
    return redirect(link)


def setup_premium(app: web.Application) -> None:
    """The premium page and its two forms; the desk shares the webhooks' premium service."""
    desk = PremiumDesk(app[DATABASE_KEY], app[PREMIUM_KEY], app[SETTINGS_KEY])
    app[DESK_KEY] = desk
    app.router.add_get("/premium", premium_page)
    app.router.add_post("/premium/checkout", checkout)
    app.router.add_post("/premium/manage", manage)

    async def close(_app: web.Application) -> None:
        await desk.close()

    app.on_cleanup.append(close)
