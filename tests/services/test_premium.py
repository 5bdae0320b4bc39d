"""Premium as state, on SQLite and real PostgreSQL: exactly-once events, order, overrides, cache."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.database.models.premium import (
    PremiumAudit,
    PremiumEvent,
    PremiumMembership,
    PremiumOutbox,
)
from botfleet.payments.desk import Provider, describe_membership, offers_in
from botfleet.services.premium import (
    ByCustomer,
    BySubscription,
    Cancel,
    Grant,
    Message,
    Outcome,
    PastDue,
    PaymentEvent,
    PremiumService,
    Revoke,
    Status,
    Subject,
)
from botfleet.services.premium.rules import Plan, Scope, apply

ADA = 1_234_567_890_123_456_789
GUILD = 111_222_333_444_555_666
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MONTH = timedelta(days=30)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def paid(at: datetime, until: datetime, subscription: str = "sub_1") -> Grant:
    return Grant(
        at=at, period_end=until, provider="stripe", plan="monthly", subscription_id=subscription
    )


def confirmation(membership: object) -> list[Message]:
    return [Message(ADA, "confirmation", "Thanks: premium is on.")]


def event(
    event_id: str, change: Grant | PastDue | Cancel | Revoke, **kwargs: object
) -> PaymentEvent:
    target = kwargs.pop("target", Subject.user(ADA))
    return PaymentEvent(
        provider="stripe",
        event_id=event_id,
        event_type="test",
        target=target,  # type: ignore[arg-type]
        change=change,
        messages=confirmation,
    )


def test_the_two_events_of_a_first_payment_grant_one_period() -> None:
    subject = Subject.user(ADA)
    first = apply(None, subject, paid(T0, T0 + MONTH))
    assert first is not None
    second = apply(first, subject, paid(T0 + timedelta(seconds=1), T0 + MONTH))
    assert second is not None and second.premium_until == T0 + MONTH


def test_a_payment_older_than_a_revocation_resurrects_nothing() -> None:
    subject = Subject.user(ADA)
    granted = apply(None, subject, paid(T0, T0 + MONTH))
    revoked = apply(granted, subject, Revoke(at=T0 + timedelta(hours=1)))
    assert revoked is not None and revoked.status is Status.REVOKED
    assert not revoked.is_active(T0 + timedelta(hours=2))
    late = paid(T0 + timedelta(minutes=1), T0 + 2 * MONTH)
    assert apply(revoked, subject, late) is None


def test_an_older_status_never_overrides_a_newer_one() -> None:
    subject = Subject.user(ADA)
    granted = apply(None, subject, paid(T0 + timedelta(hours=2), T0 + MONTH))
    assert apply(granted, subject, PastDue(at=T0 + timedelta(hours=1))) is None
    assert apply(granted, subject, Cancel(at=T0, ends_at=T0)) is None


async def test_an_event_applies_once_and_its_replay_changes_nothing(database: Database) -> None:
    premium = PremiumService(database, clock=Clock())
    first = await premium.apply_event(event("evt_1", paid(T0, T0 + MONTH)))
    again = await premium.apply_event(event("evt_1", paid(T0, T0 + 2 * MONTH)))

    assert (first.outcome, again.outcome) == (Outcome.APPLIED, Outcome.DUPLICATE)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.premium_until == T0 + MONTH
    assert await count(database, PremiumOutbox) == 1


async def test_concurrent_replays_apply_once(database: Database) -> None:
    engines = [Database(database.url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(
                PremiumService(engine, clock=Clock()).apply_event(
                    event("evt_race", paid(T0, T0 + MONTH))
                )
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate"]
    assert await count(database, PremiumOutbox) == 1
    assert await count(database, PremiumEvent) == 1


async def test_concurrent_events_of_one_new_member_keep_the_latest_period(
    database: Database,
) -> None:
    engines = [Database(database.url) for _ in range(3)]
    periods = [T0 + MONTH, T0 + 2 * MONTH, T0 + MONTH + timedelta(days=3)]
    try:
        await asyncio.gather(
            *(
                PremiumService(engine, clock=Clock()).apply_event(
                    event(f"evt_{index}", paid(T0, until))
                )
                for index, (engine, until) in enumerate(zip(engines, periods, strict=True))
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    membership = await PremiumService(database).membership(Subject.user(ADA))
    assert membership is not None and membership.premium_until == T0 + 2 * MONTH


async def test_out_of_order_events_never_overwrite_newer_state(database: Database) -> None:
    premium = PremiumService(database, clock=Clock())
    await premium.apply_event(event("evt_paid", paid(T0, T0 + MONTH)))
    refund = Revoke(at=T0 + timedelta(hours=2))
    assert (await premium.apply_event(event("evt_refund", refund))).outcome is Outcome.APPLIED
    # The renewal failure and a payment from before the refund arrive late: both are ignored.
    late_failure = await premium.apply_event(event("evt_fail", PastDue(at=T0 + timedelta(hours=1))))
    late_payment = await premium.apply_event(
        event("evt_paid_again", paid(T0 + timedelta(hours=1), T0 + 2 * MONTH))
    )

    assert (late_failure.outcome, late_payment.outcome) == (Outcome.STALE, Outcome.STALE)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status is Status.REVOKED
    assert not await premium.is_active(Subject.user(ADA))


async def test_a_revoke_of_a_revoked_membership_is_stale_and_tells_nobody_twice(
    database: Database,
) -> None:
    """A dispute revokes, then the seller refunds the same payment: the refund ends nothing
    more, so it queues no second "revoked" message and cancels nothing again."""
    premium = PremiumService(database, clock=Clock())
    await premium.apply_event(event("evt_paid", paid(T0, T0 + MONTH)))
    dispute = await premium.apply_event(event("evt_dispute", Revoke(at=T0 + timedelta(hours=1))))
    refund = await premium.apply_event(event("evt_refund", Revoke(at=T0 + timedelta(hours=2))))

    assert (dispute.outcome, refund.outcome) == (Outcome.APPLIED, Outcome.STALE)
    assert refund.memberships == ()
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.status_at == T0 + timedelta(hours=1)
    assert await count(database, PremiumOutbox) == 2, "the grant's and the dispute's"


async def test_a_customers_revoke_leaves_a_membership_that_ran_out_alone(
    database: Database,
) -> None:
    """A server's premium that simply ran out (still "active", never renewed) is no current
    membership of the customer: a one-off charge's refund neither revokes nor reports it."""
    clock = Clock()
    premium = PremiumService(database, clock=clock)
    for subject, until in ((Subject.user(ADA), T0 + 2 * MONTH), (Subject.guild(GUILD), T0 + MONTH)):
        grant = replace(paid(T0, until, subscription=f"sub_{subject.id}"), customer_id="cus_ada")
        await premium.apply_event(event(f"evt_{subject.id}", grant, target=subject))
    clock.now = T0 + MONTH + timedelta(days=1)

    revoked = await premium.apply_event(
        event("evt_refund", Revoke(at=clock.now), target=ByCustomer("cus_ada"))
    )

    assert [membership.subject for membership in revoked.memberships] == [Subject.user(ADA)]
    servers = await premium.membership(Subject.guild(GUILD))
    assert servers is not None and servers.status is Status.ACTIVE


async def test_forgetting_a_customer_locks_its_rows_in_the_order_events_do(
    database: Database,
) -> None:
    """An event holding the first of a customer's memberships (in :meth:`apply_event`'s order)
    and then taking the next must not deadlock with forgetting that customer at the same time
    (PostgreSQL; SQLite has one writer at a time)."""
    premium = PremiumService(database, clock=Clock())
    subjects = [Subject.user(ADA), Subject.guild(GUILD)]  # stored in this order: scanned so
    for subject in subjects:
        grant = replace(paid(T0, T0 + MONTH, subscription=f"sub_{subject.id}"), customer_id="c")
        await premium.apply_event(event(f"evt_{subject.id}", grant, target=subject))
    first, second = sorted(subjects, key=lambda subject: (subject.scope.value, subject.id))

    async with database.session() as session:
        await lock_membership(session, first)
        forgetting = asyncio.create_task(premium.forget_customer("stripe", "c"))
        await asyncio.sleep(0.5)  # it takes whatever it can lock, and waits
        await lock_membership(session, second)
        await session.commit()
    await forgetting

    for subject in subjects:
        membership = await premium.membership(subject)
        assert membership is not None and membership.customer_id is None


async def lock_membership(session: AsyncSession, subject: Subject) -> None:
    await session.execute(
        select(PremiumMembership)
        .where(
            PremiumMembership.scope == subject.scope.value,
            PremiumMembership.subject_id == subject.id,
        )
        .with_for_update()
    )


async def test_events_found_by_subscription_and_unmatched_ones(database: Database) -> None:
    premium = PremiumService(database, clock=Clock())
    await premium.apply_event(event("evt_paid", paid(T0, T0 + MONTH, subscription="sub_ada")))
    cancel = Cancel(at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=1))
    found = await premium.apply_event(event("evt_end", cancel, target=BySubscription("sub_ada")))
    unknown = await premium.apply_event(event("evt_x", cancel, target=BySubscription("sub_other")))

    assert (found.outcome, unknown.outcome) == (Outcome.APPLIED, Outcome.UNMATCHED)
    membership = await premium.membership(Subject.user(ADA))
    assert membership is not None and membership.premium_until == T0 + timedelta(days=1)


async def test_the_shared_check_follows_the_clock_and_the_cache_follows_changes(
    database: Database,
) -> None:
    clock = Clock()
    cache = CacheHierarchy(MemoryCache(100))
    premium = PremiumService(database, cache, clock=clock)
    guild = Subject.guild(GUILD)
    assert not await premium.is_active(guild)

    await premium.override(guild, actor="cli:ops", reason="partner server", until=T0 + MONTH)
    assert await premium.is_active(guild)
    clock.now = T0 + MONTH
    assert not await premium.is_active(guild), "premium ends when its period does"

    clock.now = T0
    await premium.override(guild, actor="cli:ops", reason="abuse", until=None)
    assert not await premium.is_active(guild)
    async with database.session() as session:
        actions = (
            await session.scalars(select(PremiumAudit.action).order_by(PremiumAudit.id))
        ).all()
    assert actions == ["grant", "revoke"]


async def count(database: Database, model: type[object]) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_deletion_request_removes_a_members_premium_and_forgets_their_purchases(
    database: Database,
) -> None:
    import botfleet.services.premium.privacy  # noqa: F401, PLC0415  (registers its deleters)
    from botfleet.services.privacy import delete_user  # noqa: PLC0415

    premium = PremiumService(database, clock=Clock())
    await premium.apply_event(event("evt_own", paid(T0, T0 + MONTH)))
    server_purchase = Grant(
        at=T0, period_end=T0 + MONTH, provider="stripe", purchaser_id=ADA, subscription_id="sub_g"
    )
    await premium.apply_event(event("evt_guild", server_purchase, target=Subject.guild(GUILD)))

    report = await delete_user(ADA, database=database)

    assert report["premium"] == 3  # the membership, and the two DMs owed
    assert report.anonymised["premium_purchases"] == 1
    assert await premium.membership(Subject.user(ADA)) is None
    server = await premium.membership(Subject.guild(GUILD))
    assert server is not None and server.purchaser_id is None
    assert await premium.is_active(Subject.guild(GUILD))


async def test_the_memberships_a_member_pays_for_are_theirs_and_their_servers(
    database: Database,
) -> None:
    premium = PremiumService(database, clock=Clock())
    for subject, until in ((Subject.user(ADA), T0 + MONTH), (Subject.guild(GUILD), T0 + 2 * MONTH)):
        grant = replace(paid(T0, until, f"sub_{subject.id}"), purchaser_id=ADA)
        await premium.apply_event(event(f"evt_{subject.id}", grant, target=subject))
    await premium.override(Subject.user(7), actor="op", reason="gift", until=T0 + MONTH)

    bought = await premium.paid_by(ADA)

    assert [m.subject for m in bought] == [Subject.guild(GUILD), Subject.user(ADA)]
    assert await premium.paid_by(7) == [], "an operator's gift is paid by no one"


def test_the_offers_on_sale_come_from_the_configured_plan_keys() -> None:
    offers = offers_in(Provider.PAYPAL, ["guild_yearly", "user_yearly", "user_monthly"])

    assert [(o.scope, o.plan, o.key) for o in offers] == [
        (Scope.USER, Plan.MONTHLY, "user_monthly"),
        (Scope.USER, Plan.YEARLY, "user_yearly"),
        (Scope.GUILD, Plan.YEARLY, "guild_yearly"),
    ]
    assert {o.provider for o in offers} == {Provider.PAYPAL}


def test_a_membership_is_described_with_the_date_written_for_the_reader() -> None:
    renewing = apply(None, Subject.user(ADA), paid(T0, T0 + MONTH))
    ended = Cancel(at=T0 + timedelta(days=1), ends_at=T0 + MONTH)
    canceled = apply(renewing, Subject.user(ADA), ended)

    def plain(moment: datetime) -> str:
        return moment.date().isoformat()

    assert describe_membership("You", renewing, T0, plain) == (
        "You: premium, renews on 2026-12-31 (monthly plan)."
    )
    assert describe_membership("You", canceled, T0, plain) == (
        "You: premium until 2026-12-31; it will not renew."
    )
    assert describe_membership("Club", None, T0) == "Club: no premium."
    assert describe_membership("You", renewing, T0).startswith("You: premium, renews on <t:")
