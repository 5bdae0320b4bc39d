"""Stripe end to end: Checkout through the stand-in, signed webhooks into the web process, premium.

Covers a full purchase (checkout → signed webhooks → premium → the confirmation DM in the outbox),
duplicate, concurrent, out-of-order, forged, altered and stale webhooks, and the refund and the
dispute that revoke premium and cancel the subscription: only the one the charge paid, when one
Stripe customer pays several (the member's own premium and a server's).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from payment_helpers import PUBLIC_URL, PaymentStage, payment_settings

from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.payments.desk import PremiumDesk, Provider
from botfleet.payments.plans import Purchase
from botfleet.services.premium import Plan, PremiumService, Status, Subject
from botfleet.web import create_app

ADA = 1_234_567_890_123_456_789
GUILD = 111_222_333_444_555_666


async def buy(
    stage: PaymentStage,
    purchase: Purchase,
    customer: str | None = None,
    attempt: str = "interaction-1",
) -> str:
    """The member opens the checkout link and presses Pay; returns the subscription id."""
    url = await stage.stripe_gateway.create_checkout(purchase, attempt=attempt, customer=customer)
    async with stage.web.session.get(url) as page:
        assert page.status == 200
        assert "Pay" in await page.text()
    async with stage.web.session.post(url, allow_redirects=False) as paid:
        assert paid.status == 303
        assert paid.headers["Location"] == f"{PUBLIC_URL}/premium?checkout=done"
    completed = stage.stripe.webhooks.of_type("checkout.session.completed")[-1]
    return str(completed["data"]["object"]["subscription"])


async def buy_own_then_servers(stage: PaymentStage) -> tuple[str, str]:
    """Ada pays her own yearly premium, then a server's monthly one as the same Stripe
    customer; the subscription ids (her own period ends later)."""
    own = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.YEARLY))
    server = await buy(
        stage,
        Purchase(ADA, Subject.guild(GUILD), Plan.MONTHLY),
        customer=stage.stripe.customer_of(own),
    )
    assert stage.stripe.customer_of(server) == stage.stripe.customer_of(own)
    return own, server


def period_end(stage: PaymentStage, subscription_id: str) -> datetime:
    item = stage.stripe.subscription(subscription_id)["items"]["data"][0]
    return datetime.fromtimestamp(item["current_period_end"], UTC)


async def test_a_purchase_grants_one_period_and_owes_one_confirmation(
    stage: PaymentStage,
) -> None:
    subscription_id = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    assert {delivery.status for delivery in stage.stripe.webhooks.deliveries} == {200}
    premium = PremiumService(stage.database)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None
    # Both the invoice and the checkout granted the same period: not two of them.
    assert membership.premium_until == period_end(stage, subscription_id)
    assert (membership.plan, membership.subscription_id) == ("monthly", subscription_id)
    assert await premium.is_active(Subject.user(ADA))
    assert await stage.outbox() == [(ADA, "confirmation")]
    checkout = stage.stripe._store.sessions
    (session,) = checkout.values()
    assert session["client_reference_id"] == str(ADA)
    assert session["metadata"]["discord_user_id"] == str(ADA)


async def test_a_retried_checkout_request_reuses_the_session(stage: PaymentStage) -> None:
    purchase = Purchase(ADA, Subject.guild(GUILD), Plan.MONTHLY)
    first = await stage.stripe_gateway.create_checkout(purchase, attempt="interaction-9")
    again = await stage.stripe_gateway.create_checkout(purchase, attempt="interaction-9")
    other = await stage.stripe_gateway.create_checkout(purchase, attempt="interaction-10")
    assert first == again != other


async def test_a_replayed_webhook_answers_200_and_changes_nothing(
    stage: PaymentStage,
) -> None:
    await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    (completed,) = stage.stripe.webhooks.of_type("checkout.session.completed")

    assert await stage.stripe.send(completed) == 200
    assert stage.stripe.webhooks.deliveries[-1].status == 200
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_concurrent_replays_apply_once(stage: PaymentStage) -> None:
    stage.stripe.webhooks.deliver = False
    await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.YEARLY))
    (completed,) = stage.stripe.webhooks.of_type("checkout.session.completed")

    statuses = await asyncio.gather(*(stage.stripe.send(completed) for _ in range(5)))

    assert statuses == [200] * 5
    assert (await stage.outcomes())[completed["id"]] == "applied"
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_forged_altered_and_stale_webhooks_are_refused_and_change_nothing(
    stage: PaymentStage,
) -> None:
    stripe = stage.stripe
    stripe.webhooks.deliver = False
    await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    (completed,) = stripe.webhooks.of_type("checkout.session.completed")
    body, _ = stripe.signed(completed)
    altered = json.loads(body)
    altered["data"]["object"]["metadata"]["discord_user_id"] = "42"

    forged = await stripe.send(completed, secret="whsec_guessed")
    tampered = await stripe.send(completed, body=json.dumps(altered).encode())
    stale = await stripe.send(completed, timestamp=int(time.time()) - 3600)

    assert (forged, tampered, stale) == (400, 400, 400)
    assert await stage.outcomes() == {}
    assert await PremiumService(stage.database).membership(Subject.user(ADA)) is None


async def test_a_body_that_is_not_text_is_refused_like_a_forgery(stage: PaymentStage) -> None:
    stripe = stage.stripe
    stripe.webhooks.deliver = False
    await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    (completed,) = stripe.webhooks.of_type("checkout.session.completed")
    assert await stripe.send(completed, body=b"\xff\xfe not utf-8") == 400
    assert await stage.outcomes() == {}


async def test_an_older_event_arriving_late_never_overwrites_newer_state(
    stage: PaymentStage,
) -> None:
    stripe = stage.stripe
    subscription_id = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stripe.webhooks.deliver = False
    stripe.clock_offset = 60
    await stripe.renew(subscription_id)  # invoice.paid, then subscription.updated (active)
    stripe.clock_offset = 120
    await stripe.cancel(subscription_id)  # subscription.deleted
    (updated,) = stripe.webhooks.of_type("customer.subscription.updated")
    (deleted,) = stripe.webhooks.of_type("customer.subscription.deleted")

    assert await stripe.send(deleted) == 200
    assert await stripe.send(updated) == 200  # a minute older than the cancellation

    outcomes = await stage.outcomes()
    assert (outcomes[deleted["id"]], outcomes[updated["id"]]) == ("applied", "stale")
    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.CANCELED


async def test_a_refund_revokes_premium_and_cancels_the_subscription(
    stage: PaymentStage,
) -> None:
    stripe = stage.stripe
    subscription_id = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    refund = await stage.stripe_gateway.client.v1.refunds.create_async(
        {"charge": stripe.charge_of(subscription_id)}
    )

    assert refund.status == "succeeded"
    premium = PremiumService(stage.database)
    assert not await premium.is_active(Subject.user(ADA))
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.REVOKED
    assert stripe.subscription(subscription_id)["status"] == "canceled"
    assert await stage.outbox() == [(ADA, "confirmation"), (ADA, "revoked")]
    assert {delivery.status for delivery in stripe.webhooks.deliveries} == {200}


async def test_a_dispute_revokes_a_servers_premium(stage: PaymentStage) -> None:
    stripe = stage.stripe
    subscription_id = await buy(stage, Purchase(ADA, Subject.guild(GUILD), Plan.MONTHLY))
    premium = PremiumService(stage.database)
    assert await premium.is_active(Subject.guild(GUILD))
    assert not await premium.is_active(Subject.user(ADA))

    await stripe.dispute(stripe.charge_of(subscription_id))

    assert not await premium.is_active(Subject.guild(GUILD))
    assert stripe.subscription(subscription_id)["status"] == "canceled"


async def test_a_refund_ends_only_the_membership_the_charge_paid(stage: PaymentStage) -> None:
    stripe = stage.stripe
    own, server = await buy_own_then_servers(stage)

    await stage.stripe_gateway.client.v1.refunds.create_async({"charge": stripe.charge_of(server)})

    premium = PremiumService(stage.database)
    servers = await premium.membership(Subject.guild(GUILD))
    assert servers is not None and servers.status is Status.REVOKED
    assert await premium.is_active(Subject.user(ADA))
    assert stripe.subscription(server)["status"] == "canceled"
    assert stripe.subscription(own)["status"] == "active"
    assert ("GET", "/v1/invoice_payments") in stripe.requests
    assert {delivery.status for delivery in stripe.webhooks.deliveries} == {200}


async def test_a_dispute_ends_only_the_membership_the_charge_paid(stage: PaymentStage) -> None:
    stripe = stage.stripe
    own, server = await buy_own_then_servers(stage)

    await stripe.dispute(stripe.charge_of(server))

    premium = PremiumService(stage.database)
    assert not await premium.is_active(Subject.guild(GUILD))
    assert await premium.is_active(Subject.user(ADA))
    assert stripe.subscription(server)["status"] == "canceled"
    assert stripe.subscription(own)["status"] == "active"


async def test_a_refund_stripe_cannot_trace_during_an_outage_is_retried(
    stage: PaymentStage,
) -> None:
    stripe = stage.stripe
    own, server = await buy_own_then_servers(stage)
    stripe.webhooks.deliver = False
    await stripe.refund(stripe.charge_of(server))
    (refunded,) = stripe.webhooks.of_type("charge.refunded")
    stripe.outage = True  # the invoice payments cannot be listed

    assert await stripe.send(refunded) == 500
    assert refunded["id"] not in await stage.outcomes()

    stripe.outage = False
    assert await stripe.send(refunded) == 200
    premium = PremiumService(stage.database)
    assert not await premium.is_active(Subject.guild(GUILD))
    assert await premium.is_active(Subject.user(ADA))
    assert stripe.subscription(own)["status"] == "active"


async def test_a_members_next_stripe_checkout_pays_as_the_same_customer(
    stage: PaymentStage,
) -> None:
    own = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.YEARLY))
    settings = payment_settings(stage.stripe, stage.paypal)
    desk = PremiumDesk(stage.database, PremiumService(stage.database), settings)
    try:
        provider, link = await desk.payment_link(
            Purchase(ADA, Subject.guild(GUILD), Plan.MONTHLY), Provider.STRIPE, attempt="2"
        )
    finally:
        await desk.close()

    assert provider is Provider.STRIPE
    session = stage.stripe._store.sessions[link.rsplit("/", 1)[-1]]
    assert session["customer"] == stage.stripe.customer_of(own)


@pytest.mark.parametrize("ending", ["refund", "dispute"])
async def test_a_charge_of_no_invoice_refunded_or_disputed_ends_every_membership_of_the_customer(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture, ending: str
) -> None:
    stripe = stage.stripe
    own, server = await buy_own_then_servers(stage)
    charge = await stripe.charge_customer(stripe.customer_of(own))

    with caplog.at_level(logging.WARNING, logger="botfleet.payments.stripe_events"):
        if ending == "refund":
            await stage.stripe_gateway.client.v1.refunds.create_async({"charge": charge})
        else:
            await stripe.dispute(charge)

    premium = PremiumService(stage.database)
    for subject in (Subject.user(ADA), Subject.guild(GUILD)):
        membership = await premium.membership(subject)
        assert membership is not None and membership.status is Status.REVOKED, subject
    assert stripe.subscription(own)["status"] == stripe.subscription(server)["status"] == "canceled"
    assert sorted(await stage.outbox()) == [(ADA, "confirmation")] * 2 + [(ADA, "revoked")] * 2
    assert f"charge {charge} paid no subscription invoice" in caplog.text
    assert {delivery.status for delivery in stripe.webhooks.deliveries} == {200}


@pytest.mark.parametrize("ending", ["refund", "dispute"])
async def test_a_charge_of_no_invoice_leaves_the_customers_ended_memberships_alone(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture, ending: str
) -> None:
    """The server's premium ended before: a one-off charge's refund or dispute revokes Ada's
    current premium only, tells her once, and cancels nothing already ended."""
    stripe = stage.stripe
    own, server = await buy_own_then_servers(stage)
    await stripe.cancel(server)
    charge = await stripe.charge_customer(stripe.customer_of(own))
    before = await stage.outbox()

    with caplog.at_level(logging.INFO):
        if ending == "refund":
            await stage.stripe_gateway.client.v1.refunds.create_async({"charge": charge})
        else:
            await stripe.dispute(charge)

    premium = PremiumService(stage.database)
    own_membership = await premium.membership(Subject.user(ADA))
    servers = await premium.membership(Subject.guild(GUILD))
    assert own_membership is not None and own_membership.status is Status.REVOKED
    assert servers is not None and servers.status is Status.CANCELED
    assert await stage.outbox() == [*before, (ADA, "revoked")]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("ending", ["refund", "dispute"])
async def test_one_payment_of_several_subscriptions_invoices_refunded_or_disputed_ends_each(
    stage: PaymentStage, ending: str
) -> None:
    """Stripe lets one payment intent pay several invoices: the refund of its charge ends
    every subscription those invoices were for, however many pages their list takes."""
    stripe = stage.stripe
    own = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.YEARLY))
    customer = stripe.customer_of(own)
    guilds = [GUILD + n for n in range(11)]  # one more than a page of Stripe's lists
    servers = [
        await buy(stage, Purchase(ADA, Subject.guild(guild), Plan.MONTHLY), customer, f"i-{guild}")
        for guild in guilds
    ]
    charge = await stripe.renew_together(servers)

    if ending == "refund":
        await stage.stripe_gateway.client.v1.refunds.create_async({"charge": charge})
    else:
        await stripe.dispute(charge)

    premium = PremiumService(stage.database)
    for guild in guilds:
        assert not await premium.is_active(Subject.guild(guild)), guild
    assert await premium.is_active(Subject.user(ADA))
    assert {stripe.subscription(server)["status"] for server in servers} == {"canceled"}
    assert stripe.subscription(own)["status"] == "active"
    assert stripe.requests.count(("GET", "/v1/invoice_payments")) == 2
    assert [kind for _, kind in await stage.outbox()].count("revoked") == len(guilds)
    assert {delivery.status for delivery in stripe.webhooks.deliveries} == {200}


async def test_a_checkout_naming_a_deleted_customer_pays_as_the_members_other_customer(
    stage: PaymentStage,
) -> None:
    """Ada paid her own premium and a server's as two Stripe customers; the server's ended
    first, then the customer of her own was deleted in Stripe (which ended it later, so its
    customer is tried first): she pays as the other, not as a third."""
    stripe = stage.stripe
    own = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.YEARLY))
    server = await buy(stage, Purchase(ADA, Subject.guild(GUILD), Plan.MONTHLY))
    gone, kept = stripe.customer_of(own), stripe.customer_of(server)
    assert gone != kept
    await stripe.cancel(server)
    stripe.clock_offset = 60
    await stage.stripe_gateway.client.v1.customers.delete_async(gone)
    premium = PremiumService(stage.database)
    desk = PremiumDesk(stage.database, premium, payment_settings(stage.stripe, stage.paypal))
    try:
        _, link = await desk.payment_link(
            Purchase(ADA, Subject.user(ADA), Plan.YEARLY), Provider.STRIPE, attempt="8"
        )
    finally:
        await desk.close()

    assert stripe._store.sessions[link.rsplit("/", 1)[-1]]["customer"] == kept
    forgotten = await premium.membership(Subject.user(ADA))
    assert forgotten is not None and forgotten.customer_id is None


async def test_a_checkout_naming_a_customer_deleted_in_stripe_pays_as_a_new_customer(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture
) -> None:
    stripe = stage.stripe
    first = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    gone = stripe.customer_of(first)
    await stage.stripe_gateway.client.v1.customers.delete_async(gone)
    premium = PremiumService(stage.database)
    ended = await premium.membership(Subject.user(ADA))
    assert ended is not None and ended.status is Status.CANCELED
    desk = PremiumDesk(stage.database, premium, payment_settings(stage.stripe, stage.paypal))
    purchase = Purchase(ADA, Subject.user(ADA), Plan.YEARLY)
    try:
        with caplog.at_level(logging.WARNING, logger="botfleet.payments.desk"):
            _, link = await desk.payment_link(purchase, Provider.STRIPE, attempt="7")
        _, again = await desk.payment_link(purchase, Provider.STRIPE, attempt="7")
    finally:
        await desk.close()

    assert again == link, "the member's retry reuses the session made without the customer"
    forgotten = await premium.membership(Subject.user(ADA))
    assert forgotten is not None and forgotten.customer_id is None
    assert f"Stripe no longer has customer {gone}" in caplog.text
    async with stage.web.session.post(link, allow_redirects=False) as paid:
        assert paid.status == 303
    renewed = await premium.membership(Subject.user(ADA))
    assert renewed is not None and renewed.status is Status.ACTIVE
    assert renewed.customer_id not in (None, gone)


async def test_a_failed_renewal_keeps_premium_and_owes_a_dm(stage: PaymentStage) -> None:
    stripe = stage.stripe
    subscription_id = await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stripe.clock_offset = 60

    await stripe.fail_renewal(subscription_id)

    premium = PremiumService(stage.database)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.PAST_DUE
    assert await premium.is_active(Subject.user(ADA))
    assert await stage.outbox() == [(ADA, "confirmation"), (ADA, "payment_failed")]


async def test_a_stripe_outage_answers_500_and_the_retry_applies(stage: PaymentStage) -> None:
    stripe = stage.stripe
    stripe.webhooks.deliver = False
    await buy(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    (completed,) = stripe.webhooks.of_type("checkout.session.completed")
    stripe.outage = True  # the handler cannot read the subscription's period

    assert await stripe.send(completed) == 500
    assert await stage.outcomes() == {}, "nothing recorded: Stripe's retry must apply it"

    stripe.outage = False
    assert await stripe.send(completed) == 200
    assert await PremiumService(stage.database).is_active(Subject.user(ADA))


async def test_without_payments_configured_there_are_no_webhook_routes(
    database: Database,
) -> None:
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(Settings(), database=database, redis=None))
    )
    await client.start_server()
    try:
        for provider in ("stripe", "paypal"):
            async with client.post(f"/webhooks/{provider}", data=b"{}") as response:
                assert response.status == 404
    finally:
        await client.close()
