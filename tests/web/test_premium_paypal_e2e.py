"""The dashboard's premium page with PayPal: the approval link made for the member, the thanks on
the way back, and a kind page (not a 500) when PayPal is down."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from web_helpers import BrowserFactory, checkout, local_path, logged_in, selling

from botfleet.config.schema import Settings
from botfleet.payments.paypal import parse_custom_id
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import Subject


@pytest.fixture
def web_settings(
    web_settings: Settings,
    stripe_stand_in: LocalStripeServer,
    paypal_stand_in: LocalPayPalServer,
) -> Settings:
    return selling(web_settings, stripe_stand_in, paypal_stand_in)


async def test_paypal_approval_names_the_member_and_thanks_them_on_return(
    browser_for: BrowserFactory, community: SandboxGuild, paypal_stand_in: LocalPayPalServer
) -> None:
    paypal_stand_in.webhooks.deliver = False
    browser = await logged_in(browser_for, community, "ada")
    page = await (await browser.http.get("/premium")).text()
    assert "Pay with PayPal" in page

    response = await checkout(browser, provider="paypal")
    assert response.status == 303
    approval = response.headers["Location"]
    assert approval.startswith(paypal_stand_in.base_url + "/webapps/billing/subscriptions")
    async with browser.http.session.post(approval, allow_redirects=False) as approved:
        back = approved.headers["Location"]
    subscription_id = parse_qs(urlsplit(back).query)["subscription_id"][0]
    ada = community.member("ada").id
    custom = paypal_stand_in.subscription(subscription_id)["custom_id"]
    assert parse_custom_id(custom) == (ada, Subject.user(ada))

    returned = await browser.http.get(local_path(back))
    assert "your payment went through" in await returned.text()


async def test_a_paypal_outage_is_a_kind_page(
    browser_for: BrowserFactory, community: SandboxGuild, paypal_stand_in: LocalPayPalServer
) -> None:
    paypal_stand_in.outage = True
    browser = await logged_in(browser_for, community, "ada")

    response = await checkout(browser, provider="paypal")

    assert response.status == 502
    assert "Payments are not available right now" in await response.text()
