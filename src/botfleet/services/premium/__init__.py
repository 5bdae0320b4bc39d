"""Premium: the one shared check every bot uses, and the state payments and operators change.

:mod:`~botfleet.services.premium.rules` holds the rules (no storage), :mod:`.service` the
database side and the cached check, :mod:`.outbox` the DMs owed after a change.
"""

from botfleet.services.premium.rules import (
    Cancel,
    Change,
    Grant,
    Membership,
    PastDue,
    Plan,
    Revoke,
    Scope,
    Status,
    Subject,
)
from botfleet.services.premium.service import (
    ByCustomer,
    BySubscription,
    EventResult,
    Message,
    Outcome,
    PaymentEvent,
    PremiumService,
)

__all__ = [
    "ByCustomer",
    "BySubscription",
    "Cancel",
    "Change",
    "EventResult",
    "Grant",
    "Membership",
    "Message",
    "Outcome",
    "PastDue",
    "PaymentEvent",
    "Plan",
    "PremiumService",
    "Revoke",
    "Scope",
    "Status",
    "Subject",
]
