"""The dashboard's premium page over HTTP: plans, payment links made for the member, refusals."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestServer
from web_helpers import BrowserFactory, checkout, logged_in, selling

from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.database.models.premium import PremiumOutbox
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import PremiumService, Status, Subject
from botfleet.services.premium.outbox import Delivery, OutboxMessage, deliver


@pytest.fixture
def web_settings(web_settings: Settings, stripe_stand_in: LocalStripeServer) -> Settings:
    return selling(web_settings, stripe_stand_in)


async def test_the_page_lists_the_plans_and_lets_its_forms_lead_to_stripe(
    browser_for: BrowserFactory, community: SandboxGuild, stripe_stand_in: LocalStripeServer
) -> None:
    browser = await logged_in(browser_for, community, "ada")
    response = await browser.http.get("/premium")
    page = await response.text()

    assert response.status == 200
    assert "You: no premium." in page
    assert page.count('action="/premium/checkout"') == 2
    assert "Readers&#39; Club" in page
    assert "/premium/manage" not in page, "nothing to manage before paying"
    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com" in policy
    assert stripe_stand_in.base_url in policy


async def test_a_plan_for_a_server_carries_the_member_and_the_server(
    browser_for: BrowserFactory, community: SandboxGuild, stripe_stand_in: LocalStripeServer
) -> None:
    browser = await logged_in(browser_for, community, "bert")

    response = await checkout(browser, plan="guild_yearly", guild_id=str(community.id))

    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith(stripe_stand_in.base_url + "/c/pay/")
    session_id = urlsplit(location).path.rsplit("/", 1)[-1]
    async with browser.http.session.get(
        f"{stripe_stand_in.base_url}/v1/checkout/sessions/{session_id}",
        headers={"Authorization": f"Bearer {stripe_stand_in.api_key}"},
    ) as made:
        session = await made.json()
    bert = community.member("bert").id
    assert session["client_reference_id"] == str(bert)
    assert session["metadata"] == {
        "discord_user_id": str(bert),
        "scope": "guild",
        "subject_id": str(community.id),
        "plan": "yearly",
    }
    again = await checkout(browser, plan="guild_yearly", guild_id=str(community.id))
    assert again.headers["Location"] == location, "a resent form reuses its checkout"


async def test_a_member_whose_stripe_customer_was_deleted_pays_again_as_a_new_one(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    stripe_stand_in: LocalStripeServer,
    dashboard: TestServer,
    web_database: Database,
) -> None:
    stripe_stand_in.webhooks.url = str(dashboard.make_url("/webhooks/stripe"))
    browser = await logged_in(browser_for, community, "ada")
    first = await checkout(browser)
    await browser.http.session.post(first.headers["Location"], allow_redirects=False)
    (completed,) = stripe_stand_in.webhooks.of_type("checkout.session.completed")
    gone = completed["data"]["object"]["customer"]
    await stripe_stand_in.delete_customer(gone)  # the operator, in Stripe's dashboard

    again = await checkout(browser, attempt="attempt-2")

    assert again.status == 303, await again.text()
    async with browser.http.session.post(again.headers["Location"], allow_redirects=False) as paid:
        assert paid.status == 303
    premium = PremiumService(web_database)
    membership = await premium.membership(Subject.user(community.member("ada").id))
    assert membership is not None and membership.status is Status.ACTIVE
    assert membership.customer_id not in (None, gone)
    assert "You: premium, renews on" in await (await browser.http.get("/premium")).text()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"plan": "user_yearly"}, "That plan is not on sale"),
        ({"provider": "paypal"}, "That plan is not on sale"),
        ({"plan": "guild_yearly", "guild_id": "123456789012345678"}, "Choose one of your servers"),
        ({"plan": "guild_yearly", "guild_id": "²"}, "Choose one of your servers"),
        ({"attempt": ""}, "This form has expired"),
    ],
)
async def test_a_plan_not_on_sale_or_a_server_not_the_members_is_refused(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    stripe_stand_in: LocalStripeServer,
    fields: dict[str, str],
    problem: str,
) -> None:
    browser = await logged_in(browser_for, community, "bert")

    response = await checkout(browser, **fields)

    assert response.status == 400
    assert problem in await response.text()
    assert not any(path == "/v1/checkout/sessions" for _, path in stripe_stand_in.requests)


async def test_forms_without_the_csrf_token_or_a_login_change_nothing(
    browser_for: BrowserFactory, community: SandboxGuild, stripe_stand_in: LocalStripeServer
) -> None:
    browser = await logged_in(browser_for, community, "ada")
    forged = await checkout(browser, csrf_token="forged")
    manage = await browser.http.post("/premium/manage", data={"csrf_token": "forged"})
    visitor = await browser_for()
    anonymous = await visitor.http.get("/premium", allow_redirects=False)

    assert (forged.status, manage.status) == (403, 403)
    assert anonymous.status == 303
    assert anonymous.headers["Location"] == "/login?next=/premium"
    assert stripe_stand_in.requests == []


async def test_managing_without_a_subscription_says_there_is_nothing_to_manage(
    browser_for: BrowserFactory, community: SandboxGuild
) -> None:
    browser = await logged_in(browser_for, community, "ada")

    response = await browser.http.post(
        "/premium/manage", data={"csrf_token": await browser.csrf_token()}
    )

    assert response.status == 404
    assert "nothing to manage" in await response.text()


async def test_the_page_says_when_a_premium_dm_could_not_reach_the_member(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    ada = community.member("ada").id
    async with web_database.session() as session:
        session.add(PremiumOutbox(user_id=ada, kind="confirmation", body="Premium is on."))
        await session.commit()
    browser = await logged_in(browser_for, community, "ada")
    before = await (await browser.http.get("/premium")).text()

    async def closed_dms(_message: OutboxMessage) -> Delivery:
        return Delivery.DMS_CLOSED

    assert await deliver(web_database, closed_dms) == 1
    after = await (await browser.http.get("/premium")).text()

    assert "your Discord DMs are closed" not in before, "not while the DM is pending"
    assert "your Discord DMs are closed" in after
