"""Reading "when" the way members write it, in their own time zone, and stepping repeats.

Accepted, case-insensitive, in the member's zone:

- a duration, with or without "in": ``in 2h30m``, ``90 minutes``, ``1w``;
- a time of day: ``9am``, ``9:30 pm``, ``18:00``, ``noon``, ``midnight`` (today, or tomorrow once
  that time has passed today);
- a day with an optional time (``at`` may join them): ``today``, ``tonight`` (20:00),
  ``tomorrow 9am``, ``friday 18:00``, ``next monday``, ``2026-12-01 14:00``, ``dec 3``,
  ``3 december 2026 at 8pm``. A weekday means its next occurrence (today if the time is still
  ahead; ``next friday`` is never today). A day without a time means 09:00. A date without a
  year means its next occurrence.

Wall-clock times are turned into instants by :mod:`zoneinfo`: a time skipped by a daylight
saving change (02:30 when clocks jump from 02:00 to 03:00) lands after the jump, and a time that
happens twice (when clocks go back) means its first occurrence. Repeats are stepped by the
fleet's shared :func:`~botfleet.utils.timezones.next_occurrence`.
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from botfleet.errors import UserError
from botfleet.utils.durations import (
    MAX_DURATION_SECONDS,
    MAX_DURATION_YEARS,
    TimeParseError,
    parse_time,
)
from botfleet.utils.text import truncate_string
from botfleet.utils.timezones import Recurrence, local_instant, next_occurrence

__all__ = ["Recurrence", "WhenError", "check_future", "next_occurrence", "parse_when"]

WHEN_EXAMPLES: Final = "“in 2h30m”, “tomorrow 9am”, “friday 18:00” or “2026-12-01 14:00”"

DEFAULT_TIME: Final = time(9, 0)
"""The time of a reminder given only a day ("tomorrow", "dec 3")."""

TONIGHT: Final = time(20, 0)

MAX_WHEN_LENGTH: Final = 60

WEEKDAYS: Final = {
    name: index
    for index, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}

MONTHS: Final = {
    name: index + 1
    for index, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
    for name in {full, full[:3], "sept" if full == "september" else full[:3]}
}

_TIME_PATTERN: Final = (
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<meridiem>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<hour24>\d{1,2}):(?P<minute24>\d{2})"
    r"|(?P<word>noon|midday|midnight)"
)
_TIME: Final = re.compile(rf"(?:{_TIME_PATTERN})")
_ISO_DATE: Final = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")
_MONTH_NAMES: Final = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_DAY: Final = re.compile(
    rf"(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?"
)
_DAY_MONTH: Final = re.compile(
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAMES})\.?(?:,?\s+(?P<year>\d{{4}}))?"
)
_WEEKDAY: Final = re.compile(
    rf"(?P<next>next\s+)?(?P<weekday>{'|'.join(sorted(WEEKDAYS, key=len, reverse=True))})"
)


class WhenError(UserError, ValueError):
    """A "when" the bot cannot use; the message says why and shows what works."""


@dataclass(frozen=True, slots=True)
class _Day:
    """A day part as read, before "this one or the next one" is decided."""

    date: date
    rolls_by: timedelta | None = None
    """Once passed, the same words mean this much later: a day for a bare time of day, a week
    for a plain weekday."""
    rolls_by_year: bool = False
    """True for a month and day without a year: once passed, it means next year's."""
    default_time: time = DEFAULT_TIME


def _shown(text: str) -> str:
    return f"“{truncate_string(text.strip(), 40)}”"


def _read_time(match: re.Match[str]) -> time:
    word = match.group("word")
    if word is not None:
        return time(0, 0) if word == "midnight" else time(12, 0)
    if match.group("hour24") is not None:
        hour, minute = int(match.group("hour24")), int(match.group("minute24"))
        if hour > 23 or minute > 59:
            raise WhenError(f"{hour:02d}:{minute:02d} is not a time of day; use 00:00 to 23:59.")
        return time(hour, minute)
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if not 1 <= hour <= 12 or minute > 59:
        raise WhenError(
            f"{match.group('clock')} is not a time on the 12-hour clock; use 1 to 12 with am or "
            "pm, or 00:00 to 23:59."
        )
    hour %= 12
    if match.group("meridiem").startswith("p"):
        hour += 12
    return time(hour, minute)


def _valid_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(f"{_shown(text)} is not a date in the calendar.") from None


def _read_day(text: str, today: date) -> _Day | None:
    """The day part of ``text`` (the whole of it), or None when it is not one."""
    if text == "today":
        return _Day(today)
    if text == "tonight":
        return _Day(today, default_time=TONIGHT)
    if text == "tomorrow":
        return _Day(today + timedelta(days=1))
    if match := _WEEKDAY.fullmatch(text):
        ahead = (WEEKDAYS[match.group("weekday")] - today.weekday()) % 7
        if match.group("next") is not None:
            return _Day(today + timedelta(days=ahead or 7))
        return _Day(today + timedelta(days=ahead), rolls_by=timedelta(days=7))
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
        return _Day(_valid_date(year, month, day, text))
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        if match := pattern.fullmatch(text):
            month, day = MONTHS[match.group("month")], int(match.group("day"))
            if match.group("year") is not None:
                return _Day(_valid_date(int(match.group("year")), month, day, text))
            if (month, day) == (2, 29):
                year = next(y for y in itertools.count(today.year) if _leap_day_ahead(y, today))
                return _Day(date(year, 2, 29))
            return _Day(_valid_date(today.year, month, day, text), rolls_by_year=True)
    return None


def _leap_day_ahead(year: int, today: date) -> bool:
    return calendar.isleap(year) and date(year, 2, 29) >= today


def _resolve(day: _Day, clock: time | None, now: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after ``now`` that ``day`` and ``clock`` may mean (or the past one)."""
    at = clock or day.default_time
    instant = local_instant(day.date, at, zone)
    if instant > now:
        return instant
    if day.rolls_by is not None:
        return local_instant(day.date + day.rolls_by, at, zone)
    if day.rolls_by_year:
        return local_instant(day.date.replace(year=day.date.year + 1), at, zone)
    return instant


_TIME_AT_END: Final = re.compile(rf"(?P<rest>.*?)\s*(?:\bat\s+)?(?P<clock>{_TIME_PATTERN})")
_TIME_AT_START: Final = re.compile(rf"(?P<clock>{_TIME_PATTERN})\s+(?:on\s+)?(?P<rest>.+)")


def _split_day_and_time(text: str) -> tuple[str, time | None]:
    """Find a time of day at the end or the start of ``text``; the rest is the day part."""
    for pattern in (_TIME_AT_END, _TIME_AT_START):
        if match := pattern.fullmatch(text):
            return match.group("rest").strip(), _read_time(match)
    return text, None


def parse_when(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant ``text`` means for a member in ``zone`` at ``now`` (aware).

    Raises :class:`WhenError` (or the shared duration errors) with a message for the member.
    """
    cleaned = " ".join(text.strip().casefold().split())
    if not cleaned:
        raise WhenError(f"Please say when, for example {WHEN_EXAMPLES}.")
    if len(cleaned) > MAX_WHEN_LENGTH:
        raise WhenError(f"That is too long to be a time. Try something like {WHEN_EXAMPLES}.")
    if cleaned.startswith("in "):
        return check_future(now + timedelta(seconds=parse_time(cleaned[3:])), now, text)
    duration_error: TimeParseError | None = None
    if cleaned[0].isdigit() and not _TIME.fullmatch(cleaned):
        try:
            return check_future(now + timedelta(seconds=parse_time(cleaned)), now, text)
        except TimeParseError as exc:
            duration_error = exc  # unless it is a date ("2026-12-01 9am", "3 dec")
    today = now.astimezone(zone).date()
    rest, clock = _split_day_and_time(cleaned)
    day = _Day(today, rolls_by=timedelta(days=1)) if not rest else _read_day(rest, today)
    if day is None:
        if duration_error is not None:
            raise duration_error
        raise WhenError(f"I couldn't read {_shown(text)} as a time. Try {WHEN_EXAMPLES}.")
    return check_future(_resolve(day, clock, now, zone), now, text)


def check_future(instant: datetime, now: datetime, text: str) -> datetime:
    """``instant`` if it is ahead of ``now`` and within the longest delay allowed."""
    if instant <= now:
        raise WhenError(
            f"{_shown(text)} has already passed. Pick a time in the future, such as "
            f"{WHEN_EXAMPLES}."
        )
    if instant - now > timedelta(seconds=MAX_DURATION_SECONDS):
        raise WhenError(f"That is more than {MAX_DURATION_YEARS} years away; pick a nearer time.")
    return instant
