"""Members' time zones: IANA names only, searched the way people type them, stored per member.

An offset such as "UTC+2" is not accepted: it is wrong half of the year wherever clocks change,
and a daily 09:00 reminder would drift by an hour. Members pick a place ("Paris", "new york") and
the zone database keeps their reminders on their wall clock.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Iterable
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.utility import UserSettings
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry

UTC_ZONE: Final = ZoneInfo("UTC")

AUTOCOMPLETE_LIMIT: Final = 25
"""Discord shows at most 25 autocomplete choices."""

_LEGACY_PREFIXES: Final = ("Etc/", "SystemV/", "posix/", "right/")


class UnknownTimezoneError(UserError, ValueError):
    """A zone name that is not in the time zone database."""


def _normalized(text: str) -> str:
    return text.strip().casefold().replace(" ", "_")


@cache
def all_zones() -> tuple[str, ...]:
    """Every usable IANA zone, sorted. Reads the zone database: call it off the event loop once."""
    names = zoneinfo.available_timezones()
    return tuple(sorted(name for name in names if not name.startswith(_LEGACY_PREFIXES)))


def search_zones(query: str, zones: Iterable[str], limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """Zones matching ``query``: city or zone-name prefixes first, then any substring match."""
    wanted = _normalized(query)
    if not wanted:
        return sorted(zones, key=lambda name: (name != "UTC", name))[:limit]
    prefix: list[str] = []
    inside: list[str] = []
    for name in zones:
        folded = name.casefold()
        city = folded.rsplit("/", 1)[-1]
        if folded.startswith(wanted) or city.startswith(wanted):
            prefix.append(name)
        elif wanted in folded:
            inside.append(name)
    return (prefix + inside)[:limit]


def resolve_zone(text: str, zones: Iterable[str]) -> str:
    """The IANA name ``text`` means: exact (any case, spaces for underscores) or a unique city."""
    wanted = _normalized(text)
    if not wanted:
        raise UnknownTimezoneError("Please give a time zone, for example Europe/Paris.")
    names = list(zones)
    by_folded = {name.casefold(): name for name in names}
    if wanted in by_folded:
        return by_folded[wanted]
    cities = [name for name in names if name.casefold().rsplit("/", 1)[-1] == wanted]
    if len(cities) == 1:
        return cities[0]
    suggestions = search_zones(text, names, limit=3) or close_zones(wanted, names)
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownTimezoneError(
        f"I don't know the time zone “{text.strip()[:40]}”. Pick one from the list as you type "
        f"(a city such as Europe/Paris or America/New_York).{hint}"
    )


def close_zones(wanted: str, zones: Iterable[str], limit: int = 3) -> list[str]:
    """Zones whose city is spelled nearly like ``wanted`` (for typos such as "Pariss")."""
    by_city: dict[str, str] = {}
    for name in zones:
        by_city.setdefault(name.casefold().rsplit("/", 1)[-1], name)
    matches = difflib.get_close_matches(wanted, list(by_city), n=limit, cutoff=0.75)
    return [by_city[city] for city in matches]


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
