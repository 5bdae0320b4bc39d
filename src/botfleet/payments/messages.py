"""The DMs a payment owes the member, written to the outbox with the change that owes them."""

from __future__ import annotations

from datetime import datetime

from botfleet.services.premium import Membership, Message, Scope

CONFIRMATION = "confirmation"
PAYMENT_FAILED = "payment_failed"
REVOKED = "revoked"


def _whose(membership: Membership) -> str:
    if membership.subject.scope is Scope.GUILD:
        return "your server's premium"
    return "your premium"


def date_tag(moment: datetime) -> str:
    """A date Discord shows in each reader's own zone and language."""
    return f"<t:{int(moment.timestamp())}:D>"


def _until(membership: Membership) -> str:
    return date_tag(membership.premium_until)


def confirmation(membership: Membership) -> list[Message]:
    if membership.purchaser_id is None:
        return []
    return [
        Message(
            membership.purchaser_id,
            CONFIRMATION,
            f"Thank you! {_whose(membership).capitalize()} is active until "
            f"{_until(membership)}. `/premium` shows it and how to manage it.",
        )
    ]


def payment_failed(membership: Membership) -> list[Message]:
    if membership.purchaser_id is None:
        return []
    return [
        Message(
            membership.purchaser_id,
            PAYMENT_FAILED,
            f"A payment for {_whose(membership)} failed. It stays active until "
            f"{_until(membership)}; update your payment method with `/premium` to keep it.",
        )
    ]


def revoked(membership: Membership) -> list[Message]:
    if membership.purchaser_id is None:
        return []
    return [
        Message(
            membership.purchaser_id,
            REVOKED,
            f"Your payment was refunded or disputed, so {_whose(membership)} has ended and "
            "its subscription is canceled.",
        )
    ]
