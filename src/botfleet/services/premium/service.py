"""Premium in the database: the one shared check, payment events applied exactly once, overrides.

Every bot asks :meth:`PremiumService.is_active` (cached; a change invalidates the key in every
process through the cache's invalidation channel with Redis, and through the fleet event that
announces it, :func:`change_event`, which every process of every bot follows). Payment
providers' events go through :meth:`PremiumService.apply_event`: the event's id is inserted
under its unique key first, in the transaction that changes the membership and writes the
member's DMs to the outbox, so a replay, even a concurrent one, finds the id taken and changes
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.cache import CacheHierarchy
from botfleet.database.base import Database
from botfleet.database.models.premium import (
    PremiumAudit,
    PremiumEvent,
    PremiumMembership,
    PremiumOutbox,
)
from botfleet.events_bus import (
    BusUnavailableError,
    Delivery,
    EventBus,
    PremiumChanged,
    PremiumGranted,
    PremiumRevoked,
)
from botfleet.services.premium.rules import (
    ENDED_STATUSES,
    Change,
    Grant,
    Membership,
    Revoke,
    Scope,
    Status,
    Subject,
    apply,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CACHE_TTL: Final = 300.0
"""Seconds a process trusts its cached answer; changes invalidate it everywhere sooner."""


def utc_now() -> datetime:
    return datetime.now(UTC)


CACHE_KEYS_PREFIX: Final = "premium:"


def cache_key(subject: Subject) -> str:
    return f"{CACHE_KEYS_PREFIX}{subject.scope.value}:{subject.id}"


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    """The event was applied before: nothing changed."""
    STALE = "stale"
    """Older than the state in force (out of order) or without effect: recorded, nothing changed."""
    UNMATCHED = "unmatched"
    """No membership belongs to it (a refund of something unknown): recorded, nothing changed."""
    IGNORED = "ignored"
    """An event that changes no premium (a partial refund, a checkout not yet paid)."""


@dataclass(frozen=True, slots=True)
class BySubscription:
    """The membership paid by a provider's subscription."""

    subscription_id: str


@dataclass(frozen=True, slots=True)
class ByCustomer:
    """Every membership a provider's customer pays that has not ended: one customer is reused
    for all of a member's purchases, so their expired and cancelled ones are left alone."""

    customer_id: str


Target = Subject | BySubscription | ByCustomer


@dataclass(frozen=True, slots=True)
class Message:
    """A DM owed to a member once the change commits."""

    user_id: int
    kind: str
    body: str


Notify = Callable[[Membership], Sequence[Message]]
"""The DMs a change owes, from the membership it made."""


def no_messages(_membership: Membership) -> Sequence[Message]:
    return ()


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One provider event, translated: what it changes, for whom, and what to tell them."""

    provider: str
    event_id: str
    event_type: str
    target: Target | tuple[Target, ...] | None
    """Whose membership it changes; several (one payment of several subscriptions' invoices)
    all change in the event's one transaction."""
    change: Change | None
    messages: Notify = no_messages
    """The DMs of the change, from each membership it made (written only when it applied)."""

    @property
    def targets(self) -> tuple[Target, ...]:
        if self.target is None:
            return ()
        return self.target if isinstance(self.target, tuple) else (self.target,)


@dataclass(frozen=True, slots=True)
class EventResult:
    outcome: Outcome
    memberships: tuple[Membership, ...] = ()
    """Each membership the event changed."""


def _membership(row: PremiumMembership) -> Membership:
    return Membership(
        subject=Subject(Scope(row.scope), row.subject_id),
        premium_until=row.premium_until,
        status=Status(row.status),
        status_at=row.status_at,
        tier=row.tier,
        plan=row.plan,
        provider=row.provider,
        subscription_id=row.provider_subscription_id,
        customer_id=row.provider_customer_id,
        purchaser_id=row.purchaser_id,
        cancel_at_period_end=row.cancel_at_period_end,
    )


def _columns(membership: Membership, now: datetime) -> dict[str, Any]:
    return {
        "premium_until": membership.premium_until,
        "status": membership.status.value,
        "status_at": membership.status_at,
        "tier": membership.tier,
        "plan": membership.plan,
        "provider": membership.provider,
        "provider_subscription_id": membership.subscription_id,
        "provider_customer_id": membership.customer_id,
        "purchaser_id": membership.purchaser_id,
        "cancel_at_period_end": membership.cancel_at_period_end,
        "updated_at": now,
    }


async def active_tiers(
    session: AsyncSession, scope: Scope, ids: Iterable[int], now: datetime
) -> dict[int, int]:
    """The tiers of those of ``ids`` with premium at ``now``, read in the caller's transaction.

    The check of :meth:`PremiumService.is_active` for many subjects at once, for writers (XP
    saves) that must read premium in the transaction they hold.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    statement = select(PremiumMembership.subject_id, PremiumMembership.tier).where(
        PremiumMembership.scope == scope.value,
        PremiumMembership.subject_id.in_(wanted),
        PremiumMembership.status != Status.REVOKED.value,
        PremiumMembership.premium_until > now,
    )
    return {subject_id: tier for subject_id, tier in (await session.execute(statement)).all()}


def change_event(changed: Membership, source: str) -> PremiumChanged | None:
    """The fleet event that announces ``changed`` once committed (``source`` announces it): a
    grant, or premium ended early (revoked, a subscription ended); None for a change that
    leaves premium as it was (a failed renewal payment)."""
    subject = changed.subject
    user_id = subject.id if subject.scope is Scope.USER else None
    guild_id = subject.id if subject.scope is Scope.GUILD else None
    if changed.status is Status.ACTIVE:
        return PremiumGranted(
            source_bot=source,
            tier=changed.tier,
            user_id=user_id,
            guild_id=guild_id,
            expires_at=changed.premium_until,
        )
    if changed.status in ENDED_STATUSES:
        return PremiumRevoked(
            source_bot=source, user_id=user_id, guild_id=guild_id, ends_at=changed.premium_until
        )
    return None


class PremiumService:
    """Reads and changes premium; one instance per process, shared by its bots and web routes."""

    def __init__(
        self,
        database: Database,
        cache: CacheHierarchy | None = None,
        *,
        clock: Clock = utc_now,
        bus: EventBus | None = None,
        source: str = "web",
    ) -> None:
        self.database = database
        self.cache = cache
        self.clock = clock
        self.bus = bus
        """Where a change is announced (:func:`change_event`) once committed."""
        self.source = source
        """Who announces: the bot's name, or the web process."""

    async def membership(self, subject: Subject) -> Membership | None:
        async with self.database.session() as session:
            row = await session.get(PremiumMembership, (subject.scope.value, subject.id))
            return _membership(row) if row is not None else None

    async def paid_by(self, user_id: int) -> list[Membership]:
        """The memberships ``user_id`` pays for (their own, servers'), latest ending first."""
        statement = (
            select(PremiumMembership)
            .where(PremiumMembership.purchaser_id == user_id)
            .order_by(PremiumMembership.premium_until.desc())
        )
        async with self.database.session() as session:
            return [_membership(row) for row in await session.scalars(statement)]

    async def forget_customer(self, provider: str, customer_id: str) -> None:
        """Drop a customer id the provider no longer has from every membership naming it, so
        the member's next payment does not name it again.

        The rows are locked first in the order :meth:`apply_event` locks them (scope, then id):
        an UPDATE alone locks them in scan order, and could deadlock with an event revoking
        the same customer's memberships.
        """
        naming = and_(
            PremiumMembership.provider == provider,
            PremiumMembership.provider_customer_id == customer_id,
        )
        async with self.database.session() as session:
            await session.execute(
                select(PremiumMembership.scope, PremiumMembership.subject_id)
                .where(naming)
                .order_by(PremiumMembership.scope, PremiumMembership.subject_id)
                .with_for_update()
            )
            await session.execute(
                update(PremiumMembership).where(naming).values(provider_customer_id=None)
            )
            await session.commit()

    async def is_active(self, subject: Subject) -> bool:
        """Whether ``subject`` has premium now: the one check every bot uses."""
        return await self.active_tier(subject) > 0

    async def covers(self, user_id: int, guild_id: int | None = None) -> bool:
        """Whether premium covers ``user_id`` where they act: their own, or the server's
        (``guild_id``). The check behind every perk (see :mod:`.perks`)."""
        if await self.is_active(Subject.user(user_id)):
            return True
        return guild_id is not None and await self.is_active(Subject.guild(guild_id))

    async def active_tier(self, subject: Subject) -> int:
        """The premium tier ``subject`` has now, 0 without premium."""
        if self.cache is None:
            cached = await self._load_status(subject)
        else:
            cached = await self.cache.get_or_load(
                cache_key(subject), lambda: self._load_status(subject), CACHE_TTL
            )
        until, tier, revoked = cached["until"], cached["tier"], cached["revoked"]
        if until is None or revoked or datetime.fromisoformat(until) <= self.clock():
            return 0
        return int(tier)

    async def _load_status(self, subject: Subject) -> dict[str, Any]:
        membership = await self.membership(subject)
        if membership is None:
            return {"until": None, "tier": 0, "revoked": False}
        return {
            "until": membership.premium_until.isoformat(),
            "tier": membership.tier,
            "revoked": membership.status is Status.REVOKED,
        }

    async def apply_event(self, event: PaymentEvent) -> EventResult:
        """Apply a provider event exactly once; see :class:`Outcome` for what can happen."""
        now = self.clock()
        async with self.database.session() as session:
            # The event's key first: it takes the write lock (SQLite) or waits for a concurrent
            # replay to commit (PostgreSQL), and refuses a second application.
            claim = (
                self.database.upsert(PremiumEvent)
                .values(
                    provider=event.provider,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    outcome=Outcome.APPLIED.value,
                    received_at=now,
                )
                .on_conflict_do_nothing(index_elements=["provider", "event_id"])
                .returning(PremiumEvent.event_id)
            )
            if (await session.execute(claim)).first() is None:
                log.info("%s event %s was applied before: ignored", event.provider, event.event_id)
                return EventResult(Outcome.DUPLICATE)
            result = await self._change(session, event, now)
            if result.outcome is not Outcome.APPLIED:
                await session.execute(
                    update(PremiumEvent)
                    .where(
                        PremiumEvent.provider == event.provider,
                        PremiumEvent.event_id == event.event_id,
                    )
                    .values(outcome=result.outcome.value)
                )
            await session.commit()
        for membership in result.memberships:
            await self._invalidate(membership.subject)
            await self._announce(membership)
        log.info(
            "%s event %s (%s): %s",
            event.provider,
            event.event_id,
            event.event_type,
            result.outcome.value,
        )
        return result

    async def _change(
        self, session: AsyncSession, event: PaymentEvent, now: datetime
    ) -> EventResult:
        if event.change is None:
            return EventResult(Outcome.IGNORED)
        if not event.targets:
            log.warning(
                "%s event %s (%s) names no member or subscription",
                event.provider,
                event.event_id,
                event.event_type,
            )
            return EventResult(Outcome.UNMATCHED)
        subjects = await self._resolve(session, event.provider, event.targets, now)
        if not subjects:
            log.warning(
                "%s event %s (%s) matches no premium membership",
                event.provider,
                event.event_id,
                event.event_type,
            )
            return EventResult(Outcome.UNMATCHED)
        changed = []
        for subject in subjects:
            membership = await self._write(session, subject, event.change, now)
            if membership is None:
                continue
            changed.append(membership)
            for message in event.messages(membership):
                session.add(
                    PremiumOutbox(user_id=message.user_id, kind=message.kind, body=message.body)
                )
        if not changed:
            return EventResult(Outcome.STALE)
        return EventResult(Outcome.APPLIED, tuple(changed))

    async def _resolve(
        self, session: AsyncSession, provider: str, targets: Iterable[Target], now: datetime
    ) -> list[Subject]:
        """The subjects ``targets`` name, in one order (rows locked in it never deadlock)."""
        subjects: set[Subject] = set()
        for target in targets:
            if isinstance(target, Subject):
                subjects.add(target)
                continue
            if isinstance(target, BySubscription):
                condition = PremiumMembership.provider_subscription_id == target.subscription_id
            else:
                condition = and_(
                    PremiumMembership.provider_customer_id == target.customer_id,
                    PremiumMembership.status.not_in([status.value for status in ENDED_STATUSES]),
                    PremiumMembership.premium_until > now,
                )
            statement = select(PremiumMembership.scope, PremiumMembership.subject_id).where(
                PremiumMembership.provider == provider, condition
            )
            rows = (await session.execute(statement)).all()
            subjects.update(Subject(Scope(row.scope), row.subject_id) for row in rows)
        return sorted(subjects, key=lambda subject: (subject.scope.value, subject.id))

    async def _write(
        self, session: AsyncSession, subject: Subject, change: Change, now: datetime
    ) -> Membership | None:
        """Lock the subject's row, apply ``change`` and store it; None if nothing changed."""
        key = (subject.scope.value, subject.id)
        statement = (
            select(PremiumMembership)
            .where(
                PremiumMembership.scope == subject.scope.value,
                PremiumMembership.subject_id == subject.id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await session.scalars(statement)).first()
        current = _membership(row) if row is not None else None
        changed = apply(current, subject, change)
        if changed is None:
            return None
        if row is None:
            inserted = (
                self.database.upsert(PremiumMembership)
                .values(scope=key[0], subject_id=key[1], **_columns(changed, now))
                .on_conflict_do_nothing(index_elements=["scope", "subject_id"])
                .returning(PremiumMembership.subject_id)
            )
            if (await session.execute(inserted)).first() is None:
                # Another transaction created it meanwhile: apply to theirs, now locked.
                return await self._write(session, subject, change, now)
            return changed
        await session.execute(
            update(PremiumMembership)
            .where(
                PremiumMembership.scope == key[0],
                PremiumMembership.subject_id == key[1],
            )
            .values(**_columns(changed, now))
            .execution_options(synchronize_session=False)
        )
        return changed

    async def override(
        self,
        subject: Subject,
        *,
        actor: str,
        reason: str,
        until: datetime | None,
        tier: int = 1,
    ) -> Membership | None:
        """An operator grants premium until ``until``, or revokes it (``until`` None), audited."""
        now = self.clock()
        change: Change = (
            Revoke(at=now)
            if until is None
            else Grant(at=now, period_end=until, provider="admin", plan="admin", tier=tier)
        )
        async with self.database.session() as session:
            session.add(
                PremiumAudit(
                    actor=actor,
                    scope=subject.scope.value,
                    subject_id=subject.id,
                    action="grant" if until is not None else "revoke",
                    premium_until=until,
                    reason=reason,
                    created_at=now,
                )
            )
            await session.flush()  # the audit row first: it takes SQLite's write lock
            changed = await self._write(session, subject, change, now)
            await session.commit()
        await self._invalidate(subject)
        if changed is not None:
            await self._announce(changed)
        log.warning(
            "premium %s for %s by %s until %s: %s",
            "granted" if until is not None else "revoked",
            subject,
            actor,
            until.isoformat() if until is not None else "-",
            reason,
        )
        return changed

    async def _announce(self, changed: Membership) -> None:
        """Tell the other bots of a committed grant or revocation; without the bus they learn
        it later (the cache's invalidation, the outbox's next pass)."""
        event = change_event(changed, self.source)
        if self.bus is None or event is None:
            return
        try:
            await self.bus.publish(event)
        except BusUnavailableError as exc:
            log.warning(
                "premium change of %s (%s) not announced on the event bus: %s",
                changed.subject,
                event.topic,
                exc,
            )

    def follow_changes(self, consumer: str) -> None:
        """Forget, in every process of ``consumer``, the cached answer for whoever another
        process announces a grant or revocation to (the web process's webhooks, ``botfleet
        premium grant|revoke``), so it counts at once rather than after the cache's
        ``CACHE_TTL``; Redis's invalidation does this only where the cache has Redis."""
        if self.bus is None or self.cache is None:
            return
        for changed in (PremiumGranted, PremiumRevoked):
            self.bus.subscribe(
                changed,
                self._forget_changed,
                consumer=consumer,
                name="premium-cache",
                delivery=Delivery.BROADCAST,
            )
        self.bus.on_reconnect(self._forget_every_cached_answer)

    async def _forget_every_cached_answer(self) -> None:
        """Drop this process's cached premium answers: the changes announced while its bus
        was cut off never reached it."""
        if self.cache is not None:
            self.cache.forget_here(CACHE_KEYS_PREFIX)

    async def _forget_changed(self, event: PremiumChanged) -> None:
        if event.user_id is not None:
            await self._invalidate(Subject.user(event.user_id))
        if event.guild_id is not None:
            await self._invalidate(Subject.guild(event.guild_id))
        log.info(
            "forgot the cached premium of user %s, guild %s (%s by %s)",
            event.user_id,
            event.guild_id,
            event.topic,
            event.source_bot,
        )

    async def _invalidate(self, subject: Subject) -> None:
        if self.cache is not None:
            await self.cache.invalidate(cache_key(subject))
