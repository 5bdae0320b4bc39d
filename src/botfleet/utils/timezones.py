"""Time zones every bot may use: IANA names searched the way people type them, daily repeats.

An offset such as "UTC+2" is not accepted: it is wrong half of the year wherever clocks change,
and a daily 09:00 post would drift by an hour. People pick a place ("Paris", "new york") and
the zone database keeps their times on their wall clock. Repeats step on the local calendar,
so a daily 09:00 stays at 09:00 across a daylight saving change: a time skipped by the change
(02:30 when clocks jump from 02:00 to 03:00) lands after the jump, and a time that happens
twice (when clocks go back) means its first occurrence.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

from botfleet.errors import UserError

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


class Recurrence(StrEnum):
    """How a timed thing repeats, keeping its wall-clock time in its zone."""

    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def step(self) -> timedelta:
        return timedelta(days=1 if self is Recurrence.DAILY else 7)


def clock_time(text: str, separators: str = ":") -> time | None:
    """``HH:MM`` on the 24-hour clock as typed (``9:05`` too), or None when it is not one.

    ``separators`` lists the characters accepted between hours and minutes; the caller words
    the refusal, since each command explains its own format.
    """
    pattern = rf"([01]?[0-9]|2[0-3])[{re.escape(separators)}]([0-5][0-9])"
    match = re.fullmatch(pattern, text.strip())
    return time(int(match[1]), int(match[2])) if match is not None else None


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant when the clocks of ``zone`` show ``clock`` on ``day``."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def next_occurrence(
    due: datetime, recurrence: Recurrence, zone: ZoneInfo, *, after: datetime
) -> datetime:
    """The first repeat of ``due`` later than ``after``, at the same wall-clock time in ``zone``.

    Steps are taken on the local calendar, so a daily 09:00 stays at 09:00 across a daylight
    saving change; repeats missed while the bot was down are skipped, not replayed.
    """
    local = due.astimezone(zone)
    wall_time = local.timetz().replace(tzinfo=None)
    return next_wall_time(local.date(), wall_time, recurrence, zone, after=max(after, due))


def next_wall_time(
    first_day: date, wall_time: time, recurrence: Recurrence, zone: ZoneInfo, *, after: datetime
) -> datetime:
    """The first instant later than ``after`` when ``zone`` shows ``wall_time`` on a repeat day.

    The repeat days are ``first_day`` and every ``recurrence`` step after it; the wall-clock
    time is kept as given, whatever the offsets of the days in between.
    """
    step_days = recurrence.step.days
    elapsed_days = max((after.astimezone(zone).date() - first_day).days, 0)
    wall_day = first_day + timedelta(days=(elapsed_days // step_days) * step_days)
    while True:
        instant = local_instant(wall_day, wall_time, zone)
        if instant > after:
            return instant
        wall_day += timedelta(days=step_days)
