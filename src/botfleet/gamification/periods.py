"""Leaderboard periods and their boundaries, always in UTC.

A member in Tokyo and one in Chicago compete on the same daily board, so a day is the UTC day,
a week starts on Monday 00:00 UTC (ISO 8601), a month on its first day 00:00 UTC. ``all_time``
has one period whose start is the Unix epoch's date. An award counts in the period its event
happened in, not the one it is saved in: a message at 23:59:59 UTC saved a second later still
counts for that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final


class Period(StrEnum):
    """The periods of the architecture's ``leaderboard_entries.period`` column."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ALL_TIME = "all_time"


ALL_TIME_START: Final = date(1970, 1, 1)
"""``period_start`` of every all-time row."""

RETENTION: Final[dict[Period, timedelta]] = {
    Period.DAILY: timedelta(days=35),
    Period.WEEKLY: timedelta(weeks=15),
    Period.MONTHLY: timedelta(days=2 * 366),
}
"""How long rows of a finished period are kept (last month's daily boards, last quarter's
weekly boards, two years of monthly boards) before :func:`expired_before` lets them go."""


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"Period boundaries need a timezone-aware time, got naive {when!r}.")
    return when.astimezone(UTC)


def period_start(period: Period, when: datetime) -> date:
    """The first day of the ``period`` that contains the instant ``when``."""
    day = _utc(when).date()
    if period is Period.DAILY:
        return day
    if period is Period.WEEKLY:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTHLY:
        return day.replace(day=1)
    return ALL_TIME_START


def period_end(period: Period, start: date) -> datetime | None:
    """The instant the period beginning on ``start`` ends (exclusive), or None for all time."""
    if period is Period.ALL_TIME:
        return None
    if period is Period.DAILY:
        following = start + timedelta(days=1)
    elif period is Period.WEEKLY:
        following = start + timedelta(weeks=1)
    elif start.month == 12:
        following = date(start.year + 1, 1, 1)
    else:
        following = date(start.year, start.month + 1, 1)
    return datetime.combine(following, time.min, tzinfo=UTC)


def expired_before(period: Period, now: datetime) -> date | None:
    """Rows of ``period`` starting before this day are past their retention (None: keep all)."""
    if period is Period.ALL_TIME:
        return None
    return period_start(period, _utc(now) - RETENTION[period])
