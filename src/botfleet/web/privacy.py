"""The dashboard's part of a data-deletion request: who changed a guild's public pages.

The guild keeps its choice (it is the guild's, not the member's); the member's id on it goes.
Their tokens go with their ``users`` row, and their dashboard sessions expire on their own.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.models.dashboard import DashboardGuildSettings
from botfleet.services.privacy import registry


async def _forget_guild_setting_authors(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(
        update(DashboardGuildSettings)
        .where(DashboardGuildSettings.updated_by == user_id)
        .values(updated_by=None)
        .returning(DashboardGuildSettings.guild_id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


registry.register("dashboard_guild_settings", _forget_guild_setting_authors, anonymises=True)
