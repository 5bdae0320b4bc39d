"""Premium's answer to data-deletion requests, registered at import.

A member's own premium, the audit of it and the DMs owed to them go. A server's premium they paid
for stays (the server's members keep what was bought) without their name on it: the purchaser
is forgotten. The applied events name no one and stay, so a replay still changes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.models.premium import PremiumAudit, PremiumMembership, PremiumOutbox
from botfleet.services.premium.rules import Scope
from botfleet.services.privacy import registry


async def delete_premium(session: AsyncSession, user_id: int) -> int:
    statements = (
        delete(PremiumMembership)
        .where(PremiumMembership.scope == Scope.USER.value, PremiumMembership.subject_id == user_id)
        .returning(PremiumMembership.subject_id),
        delete(PremiumAudit)
        .where(PremiumAudit.scope == Scope.USER.value, PremiumAudit.subject_id == user_id)
        .returning(PremiumAudit.id),
        delete(PremiumOutbox).where(PremiumOutbox.user_id == user_id).returning(PremiumOutbox.id),
    )
    removed = 0
    for statement in statements:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        removed += len(result.all())
    return removed


async def forget_purchaser(session: AsyncSession, user_id: int) -> int:
    statement = (
        update(PremiumMembership)
        .where(PremiumMembership.purchaser_id == user_id)
        .values(purchaser_id=None)
        .returning(PremiumMembership.subject_id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register("premium", delete_premium)
registry.register("premium_purchases", forget_purchaser, anonymises=True)
