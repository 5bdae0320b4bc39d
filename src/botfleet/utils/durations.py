"""Durations members type ("1h30m", "2 days") and how the bots write them back.

A typo is answered with what was wrong and an example, never a silent guess.
"""

from __future__ import annotations

import re

from botfleet.errors import UserError
from botfleet.utils.text import truncate_string

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_FORMAT_UNITS = (("w", _WEEK), ("d", _DAY), ("h", _HOUR), ("m", _MINUTE), ("s", 1))
MAX_DURATION_YEARS = 10
MAX_DURATION_SECONDS = MAX_DURATION_YEARS * 365 * _DAY
"""The longest duration :func:`parse_time` accepts; anything longer is surely a typo."""

_UNIT_SECONDS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), _WEEK),
}
_VARIABLE_UNITS = frozenset(
    {"mo", "mos", "mon", "month", "months", "y", "yr", "yrs", "year", "years"}
)
DURATION_EXAMPLES = "90s, 1h30m, 2d, 1w or 1 hour 30 minutes"
_MAX_DURATION_INPUT = 100

_JOINERS = re.compile(r",|\band\b")
_COMPONENT = re.compile(r"(\d+)\s*([^\W\d_]+)")
_DURATION = re.compile(r"(?:\s*\d+\s*[^\W\d_]+)+\s*")
_NUMBER_WITHOUT_UNIT = re.compile(r"(?<!\d)(\d+)(?!\d)\s*(?=\d|$)")


class TimeParseError(UserError, ValueError):
    """A duration a member typed could not be read; the message tells them how to write it."""


class EmptyDurationError(TimeParseError):
    """No duration was given at all."""


class InvalidDurationError(TimeParseError):
    """The text is not a duration (letters without numbers, stray symbols, decimals...)."""


class MissingTimeUnitError(TimeParseError):
    """A number has no unit after it, as in "90" or "1h 30"."""


class UnknownTimeUnitError(TimeParseError):
    """A unit that is not seconds, minutes, hours, days or weeks."""


class NonPositiveDurationError(TimeParseError):
    """The duration is zero or negative."""


class DurationTooLongError(TimeParseError):
    """The duration is longer than :data:`MAX_DURATION_SECONDS`."""


def format_time(seconds: int) -> str:
    """Write a number of seconds the way members type it: "1w 2d 3h", "1h 30m", "45s"."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds} seconds")
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _FORMAT_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def parse_time(time_str: str) -> int:
    """Read a duration such as "90s", "1h30m", "2d", "1w" or "1 hour 30 minutes" as seconds.

    Raises a :class:`TimeParseError` subclass whose message explains the mistake with examples.
    """
    text = time_str.strip().casefold()
    if not text:
        raise EmptyDurationError(f"Please give a duration, for example {DURATION_EXAMPLES}.")
    shown = f"“{truncate_string(time_str.strip(), 40)}”"
    if len(text) > _MAX_DURATION_INPUT:
        raise InvalidDurationError(
            f"{shown} is too long to be a duration. Try something like {DURATION_EXAMPLES}."
        )
    if re.search(r"-\s*\d", text):
        raise NonPositiveDurationError(
            f"A duration can't be negative. Try something like {DURATION_EXAMPLES}."
        )
    if re.search(r"\d[.,]\d", text):
        raise InvalidDurationError(
            "Please use whole numbers, for example 1h30m rather than 1.5h, or 90s rather than 1.5m."
        )
    normalized = _JOINERS.sub(" ", text)
    if not _DURATION.fullmatch(normalized):
        bare_number = _NUMBER_WITHOUT_UNIT.search(normalized)
        if bare_number is not None:
            raise MissingTimeUnitError(
                f"The number {bare_number.group(1)} needs a unit: s, m, h, d or w. "
                f"For example {DURATION_EXAMPLES}."
            )
        raise InvalidDurationError(
            f"I couldn't read {shown} as a duration. Write a number and a unit, "
            f"for example {DURATION_EXAMPLES}."
        )
    total = 0
    for amount, unit in _COMPONENT.findall(normalized):
        if unit in _VARIABLE_UNITS:
            raise UnknownTimeUnitError(
                "Months and years vary in length, so please count in days or weeks, "
                "for example 30d or 52w."
            )
        if unit not in _UNIT_SECONDS:
            raise UnknownTimeUnitError(
                f"I don't know the time unit “{truncate_string(unit, 20)}”. Use s, m, h, d or w "
                f"(seconds, minutes, hours, days or weeks), for example {DURATION_EXAMPLES}."
            )
        total += int(amount) * _UNIT_SECONDS[unit]
    if total == 0:
        raise NonPositiveDurationError(
            f"A duration must be longer than zero, for example {DURATION_EXAMPLES}."
        )
    if total > MAX_DURATION_SECONDS:
        raise DurationTooLongError(
            f"{shown} is longer than the longest duration allowed, {MAX_DURATION_YEARS} years "
            f"({format_time(MAX_DURATION_SECONDS)})."
        )
    return total
