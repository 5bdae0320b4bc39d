"""What a member can buy: a plan (monthly, yearly) for themselves or for a server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from botfleet.services.premium import Plan, Scope, Subject

PERIODS: Final = {Plan.MONTHLY: timedelta(days=31), Plan.YEARLY: timedelta(days=366)}
"""The longest a paid period of each plan lasts (a PayPal sale carries no period of its own)."""


class PlanNotOfferedError(ValueError):
    """The operator configured no price for this plan with this provider."""


@dataclass(frozen=True, slots=True)
class Purchase:
    """One member buying one plan for themselves or for one server."""

    buyer_id: int
    subject: Subject
    plan: Plan

    @property
    def key(self) -> str:
        """The plan's key in the configuration: ``user_monthly``, ``guild_yearly``..."""
        return f"{self.subject.scope.value}_{self.plan.value}"

    def metadata(self) -> dict[str, str]:
        """What travels with the payment, so no payment is ever unmatched."""
        return {
            "discord_user_id": str(self.buyer_id),
            "scope": self.subject.scope.value,
            "subject_id": str(self.subject.id),
            "plan": self.plan.value,
        }


def purchase_from_metadata(metadata: dict[str, str]) -> Purchase | None:
    """The purchase a payment's metadata names, or None if it names none (not ours)."""
    try:
        buyer = int(metadata["discord_user_id"])
        subject = Subject(Scope(metadata["scope"]), int(metadata["subject_id"]))
        plan = Plan(metadata["plan"])
    except (KeyError, ValueError):
        return None
    return Purchase(buyer, subject, plan)


def price_of(prices: dict[str, str], purchase: Purchase, provider: str) -> str:
    try:
        return prices[purchase.key]
    except KeyError:
        raise PlanNotOfferedError(
            f"{provider} has no price for the {purchase.key.replace('_', ' ')} plan"
        ) from None
