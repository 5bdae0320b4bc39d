"""PayPal end to end: a subscription approved at the stand-in, signed webhooks, premium.

The webhooks are verified offline against the stand-in's certificate for PayPal's host, issued by
its own CA (which the test configuration trusts), fetched from the URL the transmission names,
allowed only because the test configuration names its host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from payment_helpers import PUBLIC_URL, PaymentStage

from botfleet.payments.paypal import HANDLED, parse_custom_id
from botfleet.payments.plans import Purchase
from botfleet.sandbox.paypal_server import certificate_authority, leaf_certificate
from botfleet.services.premium import Plan, PremiumService, Status, Subject

ADA = 1_234_567_890_123_456_789
GUILD = 111_222_333_444_555_666
BERT = 987_654_321_098_765_432


async def subscribe(stage: PaymentStage, purchase: Purchase) -> str:
    """The member follows the approval link and agrees; returns the subscription id."""
    link = await stage.paypal_gateway.create_subscription(purchase, attempt="interaction-1")
    async with stage.web.session.get(link) as page:
        assert "Subscribe" in await page.text()
    async with stage.web.session.post(link, allow_redirects=False) as approved:
        assert approved.status == 303
        back = urlsplit(approved.headers["Location"])
    assert f"{back.scheme}://{back.netloc}" == PUBLIC_URL
    return parse_qs(back.query)["subscription_id"][0]


async def held_activation(stage: PaymentStage) -> dict[str, Any]:
    """Ada's subscription's activation event, kept from the endpoint for the test to send."""
    stage.paypal.webhooks.deliver = False
    await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    activated, _sale = stage.paypal.webhooks.events
    return activated


async def applied_once(stage: PaymentStage, activation: dict[str, Any]) -> None:
    """Ada's activation took effect once: one outcome recorded, one confirmation owed."""
    assert await stage.outcomes() == {activation["id"]: "applied"}
    assert await stage.outbox() == [(ADA, "confirmation")]


async def renewed_then(
    stage: PaymentStage, subscription_id: str, later: Callable[[str], Awaitable[None]]
) -> None:
    """A renewal is paid a minute on, then ``later`` happens at PayPal a minute after."""
    stage.paypal.clock_offset = timedelta(minutes=1)
    await stage.paypal.renew(subscription_id)
    stage.paypal.clock_offset = timedelta(minutes=2)
    await later(subscription_id)


def next_billing(subscription: dict[str, Any]) -> datetime:
    """When PayPal bills a subscription (as it or an event shows it) next: the paid end."""
    return datetime.fromisoformat(subscription["billing_info"]["next_billing_time"])


async def test_a_subscription_grants_premium_until_the_next_billing(stage: PaymentStage) -> None:
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    assert {delivery.status for delivery in stage.paypal.webhooks.deliveries} == {200}
    subscription = stage.paypal.subscription(subscription_id)
    assert parse_custom_id(subscription["custom_id"]) == (ADA, Subject.user(ADA))
    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.provider == "paypal"
    assert membership.premium_until == next_billing(subscription)
    assert membership.plan == "monthly"
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_a_servers_subscription_and_its_cancellation(stage: PaymentStage) -> None:
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.guild(GUILD), Plan.YEARLY))
    premium = PremiumService(stage.database)
    assert await premium.is_active(Subject.guild(GUILD))
    stage.paypal.clock_offset = timedelta(minutes=1)

    await stage.paypal_gateway.cancel_subscription(subscription_id)

    membership = await premium.membership(Subject.guild(GUILD))
    assert membership is not None and membership.status is Status.CANCELED
    assert await premium.is_active(Subject.guild(GUILD)), "paid until the next billing"


async def test_a_refund_revokes_and_cancels(stage: PaymentStage) -> None:
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    await stage.paypal.refund(subscription_id)

    assert not await PremiumService(stage.database).is_active(Subject.user(ADA))
    assert stage.paypal.subscription(subscription_id)["status"] == "CANCELLED"
    assert await stage.outbox() == [(ADA, "confirmation"), (ADA, "revoked")]


async def test_a_partial_refund_leaves_premium_and_the_subscription(stage: PaymentStage) -> None:
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    await stage.paypal.refund(subscription_id, amount="1.00")

    assert await PremiumService(stage.database).is_active(Subject.user(ADA))
    assert stage.paypal.subscription(subscription_id)["status"] == "ACTIVE"
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_a_refund_ends_only_the_subscription_whose_payment_it_refunds(
    stage: PaymentStage,
) -> None:
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    server = await subscribe(stage, Purchase(ADA, Subject.guild(GUILD), Plan.YEARLY))

    await stage.paypal.refund(own)

    (refunded,) = stage.paypal.webhooks.of_type("PAYMENT.SALE.REFUNDED", key="event_type")
    assert "billing_agreement_id" not in refunded["resource"], "PayPal names only the sale"
    premium = PremiumService(stage.database)
    assert not await premium.is_active(Subject.user(ADA))
    assert await premium.is_active(Subject.guild(GUILD))
    assert stage.paypal.subscription(own)["status"] == "CANCELLED"
    assert stage.paypal.subscription(server)["status"] == "ACTIVE"


@pytest.mark.parametrize("shown", ["in_the_event", "on_request"])
async def test_a_dispute_ends_each_subscription_whose_payment_it_contests(
    stage: PaymentStage, shown: str
) -> None:
    """One case may contest several payments; an event may carry the dispute's transactions or
    only its id, for the receiver to read the dispute."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    server = await subscribe(stage, Purchase(ADA, Subject.guild(GUILD), Plan.YEARLY))
    berts = await subscribe(stage, Purchase(BERT, Subject.user(BERT), Plan.MONTHLY))

    await stage.paypal.dispute(own, server, summary_only=shown == "on_request")

    premium = PremiumService(stage.database)
    assert not await premium.is_active(Subject.user(ADA))
    assert not await premium.is_active(Subject.guild(GUILD))
    assert await premium.is_active(Subject.user(BERT))
    statuses = [stage.paypal.subscription(s)["status"] for s in (own, server, berts)]
    assert statuses == ["CANCELLED", "CANCELLED", "ACTIVE"]
    assert (await stage.outbox()).count((ADA, "revoked")) == 2
    assert {delivery.status for delivery in stage.paypal.webhooks.deliveries} == {200}


async def test_a_refund_after_a_dispute_tells_the_member_once_and_cancels_nothing_again(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture
) -> None:
    """The dispute revoked and cancelled; the seller then refunds the payment: nothing more
    ends, so no second "revoked" DM and no cancel of a cancelled subscription (which PayPal
    refuses, and which asked the operator to cancel it by hand)."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    await stage.paypal.dispute(own)

    with caplog.at_level(logging.INFO):
        await stage.paypal.refund(own)

    (refunded,) = stage.paypal.webhooks.of_type("PAYMENT.SALE.REFUNDED", key="event_type")
    assert (await stage.outcomes())[refunded["id"]] == "stale"
    assert await stage.outbox() == [(ADA, "confirmation"), (ADA, "revoked")]
    assert stage.paypal.subscription(own)["status"] == "CANCELLED"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_dispute_that_also_contests_payments_that_are_no_sale_ends_the_subscriptions(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture
) -> None:
    """PayPal answers 404 for a transaction that is no sale (an Orders capture): it is skipped,
    logged once, and the case's sales still end their subscriptions, answered 200."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))

    with caplog.at_level(logging.WARNING, logger="botfleet.payments.paypal"):
        await stage.paypal.dispute(own, captures=2)

    assert [delivery.status for delivery in stage.paypal.webhooks.deliveries][-1] == 200
    assert not await PremiumService(stage.database).is_active(Subject.user(ADA))
    assert stage.paypal.subscription(own)["status"] == "CANCELLED"
    skipped = [r for r in caplog.records if "which is no sale" in r.getMessage()]
    assert len(skipped) == 2 and {r.levelno for r in skipped} == {logging.WARNING}


async def test_a_dispute_paypal_cannot_trace_during_an_outage_is_retried(
    stage: PaymentStage,
) -> None:
    """A 5xx reading a sale is not a missing sale: 500, so PayPal resends, and the resend ends
    the subscription."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stage.paypal.outage = True

    await stage.paypal.dispute(own)

    assert stage.paypal.webhooks.deliveries[-1].status == 500
    premium = PremiumService(stage.database)
    assert await premium.is_active(Subject.user(ADA))
    stage.paypal.outage = False
    (disputed,) = stage.paypal.webhooks.of_type("CUSTOMER.DISPUTE.CREATED", key="event_type")
    assert await stage.paypal.send(disputed) == 200
    assert not await premium.is_active(Subject.user(ADA))


async def test_a_reversal_revokes_exactly_what_its_sale_paid(stage: PaymentStage) -> None:
    """A chargeback: PayPal reverses the last payment of Ada's own subscription. The event names
    only the reversal (as PayPal's sample), which names the sale, which names the subscription:
    that membership ends and its subscription is cancelled, her server's stays."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    server = await subscribe(stage, Purchase(ADA, Subject.guild(GUILD), Plan.YEARLY))

    await stage.paypal.reverse(own)

    (reversed_,) = stage.paypal.webhooks.of_type("PAYMENT.SALE.REVERSED", key="event_type")
    assert reversed_["resource_type"] == "sale"
    assert {"sale_id", "billing_agreement_id"}.isdisjoint(reversed_["resource"])
    assert stage.paypal.webhooks.deliveries[-1].status == 200
    premium = PremiumService(stage.database)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.REVOKED
    assert await premium.is_active(Subject.guild(GUILD))
    assert stage.paypal.subscription(own)["status"] == "CANCELLED"
    assert stage.paypal.subscription(server)["status"] == "ACTIVE"
    assert (await stage.outcomes())[reversed_["id"]] == "applied"
    assert (await stage.outbox()).count((ADA, "revoked")) == 1


async def test_a_reversal_paypal_knows_nothing_of_changes_nothing_and_is_not_resent(
    stage: PaymentStage, caplog: pytest.LogCaptureFixture
) -> None:
    """A reversal whose id PayPal answers 404 for: 200 (a resend cannot help), logged once,
    premium and the subscription unchanged."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stage.paypal.webhooks.deliver = False
    await stage.paypal.reverse(own)
    (reversal,) = stage.paypal.webhooks.of_type("PAYMENT.SALE.REVERSED", key="event_type")
    reversal["resource"]["id"] = "REFUND-UNKNOWN"

    with caplog.at_level(logging.WARNING, logger="botfleet.payments.paypal"):
        assert await stage.paypal.send(reversal) == 200

    assert await PremiumService(stage.database).is_active(Subject.user(ADA))
    assert stage.paypal.subscription(own)["status"] == "ACTIVE"
    unknown = [r for r in caplog.records if "unknown to PayPal" in r.getMessage()]
    assert len(unknown) == 1


async def test_a_reversal_paypal_cannot_trace_during_an_outage_is_retried(
    stage: PaymentStage,
) -> None:
    """A 5xx reading the reversal is no unknown reversal: 500, and PayPal's resend revokes."""
    own = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stage.paypal.outage = True

    await stage.paypal.reverse(own)

    assert stage.paypal.webhooks.deliveries[-1].status == 500
    premium = PremiumService(stage.database)
    assert await premium.is_active(Subject.user(ADA))
    stage.paypal.outage = False
    (reversal,) = stage.paypal.webhooks.of_type("PAYMENT.SALE.REVERSED", key="event_type")
    assert await stage.paypal.send(reversal) == 200
    assert not await premium.is_active(Subject.user(ADA))
    assert stage.paypal.subscription(own)["status"] == "CANCELLED"


async def test_concurrent_copies_of_one_event_apply_once(stage: PaymentStage) -> None:
    activated = await held_activation(stage)

    statuses = await asyncio.gather(*(stage.paypal.send(activated) for _ in range(5)))

    assert statuses == [200] * 5
    await applied_once(stage, activated)


async def test_a_cancellation_before_an_earlier_periods_payment_stays_cancelled(
    stage: PaymentStage,
) -> None:
    """The renewal's sale (a minute old) arrives after the cancellation: no new period."""
    paypal = stage.paypal
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    paypal.webhooks.deliver = False
    await renewed_then(stage, subscription_id, paypal.cancel)
    _first, renewal = paypal.webhooks.of_type("PAYMENT.SALE.COMPLETED", key="event_type")
    (cancelled,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.CANCELLED", key="event_type")
    premium = PremiumService(stage.database)

    assert await paypal.send(cancelled) == 200
    ended = await premium.membership(Subject.user(ADA))
    assert await paypal.send(renewal) == 200

    assert ended is not None and ended.status is Status.CANCELED
    assert await premium.membership(Subject.user(ADA)) == ended
    assert (await stage.outcomes())[renewal["id"]] != "applied"


async def test_an_older_event_arriving_late_never_overwrites_a_newer_failed_payment(
    stage: PaymentStage,
) -> None:
    """The first payment, a renewal (t+1 min), a failed payment (t+2 min) and the activation
    (t+0) arrive in this order: the member stays past due, paid to the renewal's end."""
    paypal = stage.paypal
    paypal.webhooks.deliver = False
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    await renewed_then(stage, subscription_id, paypal.fail_payment)
    activated, first, renewal, failed = paypal.webhooks.events

    statuses = [await paypal.send(event) for event in (first, failed, renewal, activated)]

    assert statuses == [200, 200, 200, 200]
    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.PAST_DUE
    assert membership.premium_until == next_billing(paypal.subscription(subscription_id))
    assert (await stage.outcomes())[activated["id"]] == "stale"
    assert await stage.outbox() == [(ADA, "payment_failed")]


async def test_a_reactivation_after_a_suspension_restores_premium_to_the_paid_periods_end(
    stage: PaymentStage,
) -> None:
    """Suspended a minute on, activated again a minute later: active to the end of the period
    paid, no period added without a payment, no DM."""
    paypal = stage.paypal
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    paid_until = next_billing(paypal.subscription(subscription_id))
    premium = PremiumService(stage.database)
    paypal.clock_offset = timedelta(minutes=1)
    await paypal.suspend(subscription_id)
    suspended = await premium.membership(Subject.user(ADA))
    paypal.clock_offset = timedelta(minutes=2)

    await paypal.reactivate(subscription_id)

    (reactivated,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.RE-ACTIVATED", key="event_type")
    assert reactivated["resource"]["status"] == "ACTIVE"
    assert suspended is not None and suspended.status is Status.PAST_DUE
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.ACTIVE
    assert membership.premium_until == paid_until
    assert (await stage.outcomes())[reactivated["id"]] == "applied"
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_a_reactivation_adds_no_period_without_a_payment(stage: PaymentStage) -> None:
    """A reactivation whose subscription shows a next billing beyond the period paid (the
    payment still owed) keeps premium to the paid end."""
    paypal = stage.paypal
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    paid_until = next_billing(paypal.subscription(subscription_id))
    paypal.clock_offset = timedelta(minutes=1)
    await paypal.suspend(subscription_id)
    paypal.webhooks.deliver = False
    paypal.clock_offset = timedelta(minutes=2)
    await paypal.reactivate(subscription_id)
    (reactivated,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.RE-ACTIVATED", key="event_type")
    later = (paid_until + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reactivated["resource"]["billing_info"]["next_billing_time"] = later

    assert await paypal.send(reactivated) == 200

    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.ACTIVE
    assert membership.premium_until == paid_until


async def test_a_plan_changed_in_paypal_is_applied_without_a_dm(stage: PaymentStage) -> None:
    """A revision to the yearly plan: PayPal's update carries the whole subscription."""
    paypal = stage.paypal
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    paypal.clock_offset = timedelta(minutes=1)

    await paypal.revise(subscription_id, "P-YEARLY")

    (updated,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.UPDATED", key="event_type")
    assert updated["resource"]["plan_id"] == "P-YEARLY"
    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.plan == "yearly"
    assert membership.status is Status.ACTIVE
    assert membership.premium_until == next_billing(updated["resource"])
    assert (await stage.outcomes())[updated["id"]] == "applied"
    assert await stage.outbox() == [(ADA, "confirmation")]


async def test_an_older_update_after_a_newer_cancellation_changes_nothing(
    stage: PaymentStage,
) -> None:
    """The plan revised a minute on, cancelled a minute later; the update arrives last."""
    paypal = stage.paypal
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    paypal.webhooks.deliver = False
    paypal.clock_offset = timedelta(minutes=1)
    await paypal.revise(subscription_id, "P-YEARLY")
    paypal.clock_offset = timedelta(minutes=2)
    await paypal.cancel(subscription_id)
    (updated,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.UPDATED", key="event_type")
    (cancelled,) = paypal.webhooks.of_type("BILLING.SUBSCRIPTION.CANCELLED", key="event_type")
    premium = PremiumService(stage.database)

    assert await paypal.send(cancelled) == 200
    ended = await premium.membership(Subject.user(ADA))
    assert await paypal.send(updated) == 200

    assert ended is not None and ended.status is Status.CANCELED and ended.plan == "monthly"
    assert await premium.membership(Subject.user(ADA)) == ended
    assert (await stage.outcomes())[updated["id"]] == "stale"
    assert await stage.outbox() == [(ADA, "confirmation")]


def test_the_readme_lists_exactly_the_paypal_events_handled() -> None:
    """The operator subscribes PayPal's webhook to the README's list: every event the code
    turns into a premium change, and none it ignores."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Configure PayPal") : readme.index("A PayPal webhook's")]
    assert set(re.findall(r"`([A-Z][A-Z.-]+)`", paragraph)) == HANDLED


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (timedelta(days=-3), 400),
        (timedelta(seconds=-301), 400),
        (timedelta(minutes=10), 400),
        (timedelta(minutes=-4), 200),
    ],
    ids=["days-old", "past-tolerance", "from-the-future", "within-tolerance"],
)
async def test_a_transmission_is_accepted_only_within_the_tolerance(
    stage: PaymentStage, sent: timedelta, status: int
) -> None:
    """PayPal signs the transmission time; one more than 300 s (the tolerance) from now,
    either way, is refused, so a captured delivery cannot be replayed later."""
    activated = await held_activation(stage)

    assert await stage.paypal.send(activated, sent_at=datetime.now(UTC) + sent) == status

    expected = {activated["id"]: "applied"} if status == 200 else {}
    assert await stage.outcomes() == expected


async def test_a_replayed_transmission_within_the_tolerance_changes_nothing(
    stage: PaymentStage,
) -> None:
    """The very same signed delivery (body and headers) sent again: 200, no second effect."""
    paypal = stage.paypal
    activated = await held_activation(stage)
    body, headers = paypal.signed(activated)

    first = await paypal.webhooks.post(activated, body, headers)
    again = await paypal.webhooks.post(activated, body, headers)

    assert (first, again) == (200, 200)
    await applied_once(stage, activated)


async def test_a_failed_payment_owes_a_dm(stage: PaymentStage) -> None:
    subscription_id = await subscribe(stage, Purchase(ADA, Subject.user(ADA), Plan.MONTHLY))
    stage.paypal.clock_offset = timedelta(minutes=1)

    await stage.paypal.fail_payment(subscription_id)

    membership = await PremiumService(stage.database).membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.PAST_DUE
    assert await stage.outbox() == [(ADA, "confirmation"), (ADA, "payment_failed")]


async def test_duplicate_forged_altered_stale_and_foreign_certificates(
    stage: PaymentStage,
) -> None:
    paypal = stage.paypal
    activated = await held_activation(stage)
    body, _ = paypal.signed(activated)
    altered = json.loads(body)
    altered["resource"]["custom_id"] = "42"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    forged = await paypal.send(activated, key=other_key)
    tampered = await paypal.send(activated, body=json.dumps(altered).encode())
    stale = await paypal.send(activated, sent_at=datetime.now(UTC) - timedelta(hours=1))
    foreign = await paypal.send(activated, cert_url="https://certs.example/paypal.pem")
    not_https = await paypal.send(activated, cert_url="http://api.paypal.com/cert.pem")

    assert (forged, tampered, stale, foreign, not_https) == (400, 400, 400, 400, 400)
    assert await stage.outcomes() == {}

    assert (await paypal.send(activated), await paypal.send(activated)) == (200, 200)
    await applied_once(stage, activated)


async def test_only_a_certificate_for_paypals_host_under_a_trusted_ca_verifies(
    stage: PaymentStage,
) -> None:
    paypal = stage.paypal
    activated = await held_activation(stage)
    own_ca = certificate_authority("someone else's CA")
    intermediate = leaf_certificate(paypal.authority, "an intermediate that is no CA")
    impostors = {
        "self-signed": certificate_authority("messageverificationcerts.paypal.com"),
        "foreign-ca": leaf_certificate(own_ca),
        "other-host": leaf_certificate(paypal.authority, "evil.example"),
        "under-a-leaf": leaf_certificate(intermediate),
        "expired": leaf_certificate(paypal.authority, valid_for=-timedelta(minutes=1)),
    }
    for name, impostor in impostors.items():
        paypal.certificates[name] = impostor.pem() + intermediate.pem()
    sent = {
        name: await paypal.send(activated, key=impostor.key, cert_url=paypal.certificate_url(name))
        for name, impostor in impostors.items()
    }

    assert sent == dict.fromkeys(impostors, 400)
    assert await stage.outcomes() == {}

    chained = leaf_certificate(paypal.authority)
    paypal.certificates["rotated"] = chained.pem() + paypal.authority.pem()
    accepted = await paypal.send(
        activated, key=chained.key, cert_url=paypal.certificate_url("rotated")
    )
    assert accepted == 200
    assert await stage.outcomes() == {activated["id"]: "applied"}
