"""The AI usage table's answer to data-deletion requests, registered at import.

A member's own rows go; a server's rows stay, since they count the whole server and name no one.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.models.ai import AIUsage
from botfleet.services.ai.budget import Scope
from botfleet.services.privacy import registry

PRIVACY_NAME = "ai_usage"


async def delete_ai_usage(session: AsyncSession, user_id: int) -> int:
    statement = (
        delete(AIUsage)
        .where(AIUsage.scope == Scope.USER.value, AIUsage.subject_id == user_id)
        .returning(AIUsage.day)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register(PRIVACY_NAME, delete_ai_usage)
