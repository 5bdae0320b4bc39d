"""The rules of an administrator's XP change: how much may change at once, and its audit line."""

from __future__ import annotations

import logging
from typing import Final

from botfleet.errors import UserError
from botfleet.gamification.store import AdjustmentResult, AdminAction

audit_log = logging.getLogger("botfleet.gamification.audit")
"""One line per administrator's XP change, for operators to route wherever they keep audits."""

MAX_ADMIN_AMOUNT: Final = 1_000_000


class XPAdjustmentError(UserError):
    """An administrator's XP change that cannot be made; the message says why."""


def check_admin_amount(amount: int) -> None:
    """Refuse an amount to give or take outside 1 to :data:`MAX_ADMIN_AMOUNT`."""
    if not 1 <= amount <= MAX_ADMIN_AMOUNT:
        raise XPAdjustmentError(
            f"You can give or take between 1 and {MAX_ADMIN_AMOUNT:,} XP at a time."
        )


def audit_adjustment(
    result: AdjustmentResult,
    *,
    action: AdminAction,
    guild_id: int,
    user_id: int,
    amount: int,
    actor_id: int,
    reason: str | None,
) -> None:
    """Write the audit line of one committed change."""
    audit_log.info(
        "XP %s by %d in guild %d: member %d, amount %d, XP %d -> %d, level %d -> %d, reason %r",
        action.value,
        actor_id,
        guild_id,
        user_id,
        amount,
        result.xp_before,
        result.xp_after,
        result.level_before,
        result.level_after,
        reason,
    )
