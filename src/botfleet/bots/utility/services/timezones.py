"""Members' time zones, stored per member; the zone names are the fleet's shared helpers.

An offset such as "UTC+2" is not accepted: it is wrong half of the year wherever clocks change,
and a daily 09:00 reminder would drift by an hour. Members pick a place ("Paris", "new york") and
the zone database keeps their reminders on their wall clock. Finding zones as people type them
lives in :mod:`botfleet.utils.timezones`, shared with the other bots.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.utility import UserSettings
from botfleet.services.privacy import count_deleted, registry
from botfleet.utils.timezones import (
    UTC_ZONE,
    UnknownTimezoneError,
    all_zones,
    resolve_zone,
    search_zones,
)

__all__ = [
    "TimezoneStore",
    "UnknownTimezoneError",
    "all_zones",
    "delete_user_settings",
    "resolve_zone",
    "search_zones",
]


class TimezoneStore:
    """Reads and writes members' zones in ``user_settings``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def zone_of(self, user_id: int) -> ZoneInfo:
        """The member's zone, UTC when they never set one."""
        async with self.database.session() as session:
            name = await session.scalar(
                select(UserSettings.timezone).where(UserSettings.user_id == user_id)
            )
        return ZoneInfo(name) if name else UTC_ZONE

    async def set_zone(self, user_id: int, name: str) -> None:
        statement = self.database.upsert(UserSettings).values(user_id=user_id, timezone=name)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"timezone": name}
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()


async def delete_user_settings(session: AsyncSession, user_id: int) -> int:
    """Privacy: forget the member's preferences."""
    statement = delete(UserSettings).where(UserSettings.user_id == user_id)
    return await count_deleted(session, statement, UserSettings.user_id)


registry.register("user_settings", delete_user_settings)
