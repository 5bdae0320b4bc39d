"""Times of day as members type them, read once for every daily post."""

from __future__ import annotations

from datetime import time

import pytest

from botfleet.utils.timezones import clock_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:30", time(8, 30)), (" 9:05 ", time(9, 5)), ("23:59", time(23, 59)), ("0:00", time())],
)
def test_a_time_of_day_is_read(text: str, expected: time) -> None:
    assert clock_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8.30", "830", "", "noon", "12:5"])
def test_anything_else_is_not_a_time_of_day(text: str) -> None:
    assert clock_time(text) is None


def test_other_separators_are_accepted_only_when_asked_for() -> None:
    assert clock_time("8.30", ":.h") == time(8, 30)
    assert clock_time("8h30", ":.h") == time(8, 30)
    assert clock_time("8-30", ":.h") is None
