"""Durations: format_time and parse_time agree, and every mistake gets a friendly message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.errors import UserError
from botfleet.utils.durations import (
    DURATION_EXAMPLES,
    MAX_DURATION_SECONDS,
    DurationTooLongError,
    EmptyDurationError,
    InvalidDurationError,
    MissingTimeUnitError,
    NonPositiveDurationError,
    TimeParseError,
    UnknownTimeUnitError,
    format_time,
    parse_time,
)

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 604800


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (90, "1m 30s"),
        (5400, "1h 30m"),
        (2 * DAY, "2d"),
        (WEEK + 2 * DAY + 3 * HOUR, "1w 2d 3h"),
        (3 * WEEK + 59, "3w 59s"),
        (MAX_DURATION_SECONDS, "521w 3d"),
    ],
)
def test_format_time_writes_durations_the_way_members_type_them(seconds: int, text: str) -> None:
    assert format_time(seconds) == text


def test_format_time_refuses_negative_durations() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_time(-1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("1h30m", 5400),
        ("2d", 2 * DAY),
        ("1w", WEEK),
        ("1h 30m", 5400),
        ("10 minutes", 600),
        ("1 hour 30 minutes", 5400),
        ("1 hour and 30 minutes", 5400),
        ("1h, 30m", 5400),
        ("  2 Days 4 HRS ", 2 * DAY + 4 * HOUR),
        ("1 sec", 1),
        ("3wks", 3 * WEEK),
        ("45 mins 15 secs", 45 * MINUTE + 15),
        ("1w 2d 3h", WEEK + 2 * DAY + 3 * HOUR),
        ("521w 3d", MAX_DURATION_SECONDS),
    ],
)
def test_parse_time_reads_short_and_spelled_out_units(text: str, seconds: int) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize(
    ("text", "error", "hint"),
    [
        ("", EmptyDurationError, "90s"),
        ("   ", EmptyDurationError, "90s"),
        ("soon", InvalidDurationError, "90s"),
        ("5m!", InvalidDurationError, "“5m!”"),
        ("hours", InvalidDurationError, "a number and a unit"),
        ("1.5h", InvalidDurationError, "whole numbers"),
        ("1" * 200 + "s", InvalidDurationError, "too long"),
        ("90", MissingTimeUnitError, "The number 90 needs a unit"),
        ("1h 30", MissingTimeUnitError, "The number 30 needs a unit"),
        ("3 fortnights", UnknownTimeUnitError, "“fortnights”"),
        ("5x", UnknownTimeUnitError, "s, m, h, d or w"),
        ("2 months", UnknownTimeUnitError, "30d"),
        ("1y", UnknownTimeUnitError, "days or weeks"),
        ("-5m", NonPositiveDurationError, "negative"),
        ("5m -3s", NonPositiveDurationError, "negative"),
        ("0s", NonPositiveDurationError, "longer than zero"),
        ("0h 0m", NonPositiveDurationError, "longer than zero"),
        ("522w", DurationTooLongError, "10 years"),
        ("99999999999999999999 weeks", DurationTooLongError, "10 years"),
    ],
)
def test_parse_time_explains_each_mistake(
    text: str, error: type[TimeParseError], hint: str
) -> None:
    with pytest.raises(error) as caught:
        parse_time(text)
    message = str(caught.value)
    assert hint in message
    assert message[0].isupper() or message.startswith("“")
    assert message.endswith(".")
    assert caught.value.message == message


def test_errors_are_value_errors_a_command_can_show_as_they_are() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_time("later")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, UserError)
    assert DURATION_EXAMPLES in caught.value.message


@given(st.integers(min_value=1, max_value=MAX_DURATION_SECONDS))
def test_parse_time_reads_back_every_formatted_duration(seconds: int) -> None:
    assert parse_time(format_time(seconds)) == seconds


UNIT_SPELLINGS = {
    1: ["s", "sec", "secs", "second", "seconds"],
    MINUTE: ["m", "min", "mins", "minute", "minutes"],
    HOUR: ["h", "hr", "hrs", "hour", "hours"],
    DAY: ["d", "day", "days"],
    WEEK: ["w", "wk", "wks", "week", "weeks"],
}
component = st.tuples(
    st.integers(min_value=0, max_value=500),
    st.sampled_from(sorted(UNIT_SPELLINGS)).flatmap(
        lambda size: st.tuples(st.just(size), st.sampled_from(UNIT_SPELLINGS[size]))
    ),
    st.sampled_from(["", " "]),
    st.sampled_from([" ", ", ", " and ", ""]),
)


@given(st.lists(component, min_size=1, max_size=6))
def test_parse_time_adds_up_any_mix_of_units_and_separators(
    parts: list[tuple[int, tuple[int, str], str, str]],
) -> None:
    text = ""
    for index, (amount, (_, spelling), gap, separator) in enumerate(parts):
        text += (separator if index else "") + f"{amount}{gap}{spelling}"
    expected = sum(amount * size for amount, (size, _), _, _ in parts)
    if expected == 0:
        with pytest.raises(NonPositiveDurationError):
            parse_time(text)
    elif expected > MAX_DURATION_SECONDS:
        with pytest.raises(DurationTooLongError):
            parse_time(text)
    else:
        assert parse_time(text) == expected


@given(st.text(max_size=40))
def test_parse_time_either_returns_a_duration_in_range_or_a_friendly_error(text: str) -> None:
    try:
        seconds = parse_time(text)
    except TimeParseError as error:
        assert error.message
    else:
        assert 0 < seconds <= MAX_DURATION_SECONDS
