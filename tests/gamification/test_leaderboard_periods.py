"""Leaderboard periods: UTC days, ISO weeks from Monday, calendar months, all time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.gamification.periods import (
    ALL_TIME_START,
    Period,
    expired_before,
    period_end,
    period_start,
)

instants = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-6))]),
)
bounded_periods = st.sampled_from([Period.DAILY, Period.WEEKLY, Period.MONTHLY])


def test_boundaries_are_utc_whatever_the_zone_of_the_instant() -> None:
    # 01:30 on Monday 5 January 2026 in Tokyo is still Sunday 4 January in UTC.
    tokyo = datetime(2026, 1, 5, 1, 30, tzinfo=timezone(timedelta(hours=9)))

    assert period_start(Period.DAILY, tokyo) == date(2026, 1, 4)
    assert period_start(Period.WEEKLY, tokyo) == date(2025, 12, 29)
    assert period_start(Period.MONTHLY, tokyo) == date(2026, 1, 1)
    assert period_start(Period.ALL_TIME, tokyo) == ALL_TIME_START


def test_period_ends() -> None:
    assert period_end(Period.DAILY, date(2025, 12, 31)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert period_end(Period.WEEKLY, date(2025, 12, 29)) == datetime(2026, 1, 5, tzinfo=UTC)
    assert period_end(Period.MONTHLY, date(2025, 12, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert period_end(Period.MONTHLY, date(2024, 2, 1)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert period_end(Period.ALL_TIME, ALL_TIME_START) is None


@given(bounded_periods, instants)
def test_every_instant_lies_in_its_period(period: Period, when: datetime) -> None:
    start = period_start(period, when)
    end = period_end(period, start)

    assert end is not None
    assert datetime.combine(start, datetime.min.time(), tzinfo=UTC) <= when < end
    assert period_start(period, end) > start
    if period is Period.WEEKLY:
        assert start.weekday() == 0
    if period is Period.MONTHLY:
        assert start.day == 1


def test_retention_keeps_recent_periods_only() -> None:
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)

    assert expired_before(Period.DAILY, now) == date(2026, 2, 8)
    assert expired_before(Period.ALL_TIME, now) is None
    weekly = expired_before(Period.WEEKLY, now)
    assert weekly is not None
    assert weekly.weekday() == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        period_start(Period.DAILY, datetime(2026, 1, 1))
