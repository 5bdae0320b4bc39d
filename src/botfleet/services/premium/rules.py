"""The rules of premium as state, free of storage: what one change does to one membership.

A payment moves ``premium_until`` to the later of itself and the paid period's end, never adds:
the two events of a first payment (checkout completed, invoice paid) therefore grant one period.
Events carry the time they happened; a change of status older than the status in force is
ignored, and so is a payment older than a revocation or cancellation, so events that arrive out
of order never overwrite newer state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final


class Scope(StrEnum):
    """Whom a membership gives premium: one member everywhere, or one server's members."""

    USER = "user"
    GUILD = "guild"


class Status(StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"
    """A renewal failed: premium runs to the end of the period paid, the provider retries."""
    CANCELED = "canceled"
    REVOKED = "revoked"
    """Refunded, disputed or taken away by an operator: premium ends at once."""


class Plan(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


ENDED_STATUSES: Final = frozenset({Status.CANCELED, Status.REVOKED})


@dataclass(frozen=True, slots=True)
class Subject:
    """A member or a server, by Discord id."""

    scope: Scope
    id: int

    @classmethod
    def user(cls, user_id: int) -> Subject:
        return cls(Scope.USER, user_id)

    @classmethod
    def guild(cls, guild_id: int) -> Subject:
        return cls(Scope.GUILD, guild_id)

    def __str__(self) -> str:
        return f"{self.scope.value} {self.id}"


@dataclass(frozen=True, slots=True)
class Membership:
    """The premium of one subject as stored."""

    subject: Subject
    premium_until: datetime
    status: Status
    status_at: datetime
    tier: int = 1
    plan: str | None = None
    provider: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    purchaser_id: int | None = None
    cancel_at_period_end: bool = False

    def is_active(self, now: datetime) -> bool:
        return self.status is not Status.REVOKED and now < self.premium_until


@dataclass(frozen=True, slots=True)
class Grant:
    """A period paid (or granted) until ``period_end``."""

    at: datetime
    period_end: datetime
    provider: str
    plan: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    purchaser_id: int | None = None
    tier: int = 1
    cancel_at_period_end: bool | None = None
    """What the provider says of the renewal; None when the event does not say."""


@dataclass(frozen=True, slots=True)
class PastDue:
    """A renewal payment failed."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Cancel:
    """The subscription ended at ``ends_at``: premium stops then, not later."""

    at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Revoke:
    """Premium ends now: a refund, a dispute, an operator."""

    at: datetime


Change = Grant | PastDue | Cancel | Revoke


def apply(current: Membership | None, subject: Subject, change: Change) -> Membership | None:
    """The membership after ``change``, or None when the change must not alter anything."""
    if isinstance(change, Grant):
        return _grant(current, subject, change)
    if current is None or change.at < current.status_at:
        return None
    if isinstance(change, PastDue):
        if current.status in ENDED_STATUSES:
            return None
        return replace(current, status=Status.PAST_DUE, status_at=change.at)
    if isinstance(change, Cancel):
        if current.status is Status.REVOKED:
            return None  # the subscription's end after a refund: already ended harder
        return replace(
            current,
            status=Status.CANCELED,
            status_at=change.at,
            premium_until=min(current.premium_until, change.ends_at),
            cancel_at_period_end=False,
        )
    if current.status is Status.REVOKED:
        return None  # a refund after a dispute of one payment: nothing more to end, or to tell
    return replace(
        current,
        status=Status.REVOKED,
        status_at=change.at,
        premium_until=min(current.premium_until, change.at),
        cancel_at_period_end=False,
    )


def _grant(current: Membership | None, subject: Subject, grant: Grant) -> Membership | None:
    if current is None:
        return Membership(
            subject=subject,
            premium_until=grant.period_end,
            status=Status.ACTIVE,
            status_at=grant.at,
            tier=grant.tier,
            plan=grant.plan,
            provider=grant.provider,
            subscription_id=grant.subscription_id,
            customer_id=grant.customer_id,
            purchaser_id=grant.purchaser_id,
            cancel_at_period_end=bool(grant.cancel_at_period_end),
        )
    newer = grant.at >= current.status_at
    if not newer and current.status in ENDED_STATUSES:
        return None  # a payment from before the refund or cancellation resurrects nothing
    until = max(current.premium_until, grant.period_end)
    if not newer:
        return None if until == current.premium_until else replace(current, premium_until=until)
    renewal = current.cancel_at_period_end
    if grant.cancel_at_period_end is not None:
        renewal = grant.cancel_at_period_end
    return replace(
        current,
        premium_until=until,
        status=Status.ACTIVE,
        status_at=grant.at,
        tier=max(current.tier, grant.tier) if current.status is Status.ACTIVE else grant.tier,
        plan=grant.plan or current.plan,
        provider=grant.provider,
        subscription_id=grant.subscription_id or current.subscription_id,
        customer_id=grant.customer_id or current.customer_id,
        purchaser_id=grant.purchaser_id or current.purchaser_id,
        cancel_at_period_end=renewal,
    )
