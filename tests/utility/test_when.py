"""Reading "when" in a member's zone, across days, years and daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botfleet.bots.utility.services.when import (
    Recurrence,
    WhenError,
    next_occurrence,
    parse_when,
)
from botfleet.errors import UserError
from botfleet.utils.durations import MissingTimeUnitError

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
"""A Wednesday, 18:00 in Paris."""

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
]


def local(text: str, zone: ZoneInfo = PARIS, now: datetime = NOW) -> str:
    return parse_when(text, now=now, zone=zone).astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2h30m", "Wed 2026-11-25 20:30"),
        ("IN 90 minutes", "Wed 2026-11-25 19:30"),
        ("1w", "Wed 2026-12-02 18:00"),
        ("9am", "Thu 2026-11-26 09:00"),
        ("at 9pm", "Wed 2026-11-25 21:00"),
        ("18:00", "Thu 2026-11-26 18:00"),
        ("tomorrow 9am", "Thu 2026-11-26 09:00"),
        ("tomorrow at 9:30 p.m.", "Thu 2026-11-26 21:30"),
        ("tomorrow", "Thu 2026-11-26 09:00"),
        ("today 23:15", "Wed 2026-11-25 23:15"),
        ("tonight", "Wed 2026-11-25 20:00"),
        ("friday 18:00", "Fri 2026-11-27 18:00"),
        ("fri", "Fri 2026-11-27 09:00"),
        ("wednesday 20:00", "Wed 2026-11-25 20:00"),
        ("wednesday 10:00", "Wed 2026-12-02 10:00"),
        ("next wednesday 20:00", "Wed 2026-12-02 20:00"),
        ("9pm friday", "Fri 2026-11-27 21:00"),
        ("2026-12-01 14:00", "Tue 2026-12-01 14:00"),
        ("2026-12-01", "Tue 2026-12-01 09:00"),
        ("dec 3", "Thu 2026-12-03 09:00"),
        ("3 december 2026 at 8pm", "Thu 2026-12-03 20:00"),
        ("December 3rd, 2027", "Fri 2027-12-03 09:00"),
        ("jan 1", "Fri 2027-01-01 09:00"),
        ("nov 25 17:00", "Thu 2027-11-25 17:00"),
        ("feb 29", "Tue 2028-02-29 09:00"),
        ("noon", "Thu 2026-11-26 12:00"),
        ("midnight", "Thu 2026-11-26 00:00"),
    ],
)
def test_reads_what_members_write(text: str, expected: str) -> None:
    assert local(text) == expected


def test_the_same_words_mean_the_members_own_clock() -> None:
    paris = parse_when("tomorrow 9am", now=NOW, zone=PARIS)
    new_york = parse_when("tomorrow 9am", now=NOW, zone=NEW_YORK)
    assert new_york - paris == timedelta(hours=6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please say when"),
        ("yesterday", "couldn't read “yesterday”"),
        ("2020-01-01", "has already passed"),
        ("today 9am", "has already passed"),
        ("feb 30", "not a date in the calendar"),
        ("13pm", "not a time on the 12-hour clock"),
        ("25:00", "not a time of day"),
        ("in 600w", "longer than the longest duration"),
        ("in 2 months", "count in days or weeks"),
        ("2040-01-01", "more than 10 years away"),
        ("soon-ish " * 10, "too long"),
    ],
)
def test_bad_times_get_a_clear_answer(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_when(text, now=NOW, zone=PARIS)
    assert message in caught.value.message


def test_a_bare_number_asks_for_a_unit() -> None:
    with pytest.raises(MissingTimeUnitError, match="needs a unit"):
        parse_when("5", now=NOW, zone=PARIS)


def test_a_time_skipped_by_daylight_saving_lands_after_the_jump() -> None:
    # Clocks in Paris jump from 02:00 to 03:00 on 2027-03-28.
    due = parse_when("2027-03-28 02:30", now=NOW, zone=PARIS)
    assert due.astimezone(PARIS).strftime("%H:%M") == "03:30"


def test_a_time_that_happens_twice_means_the_first() -> None:
    # Clocks in New York go back from 02:00 to 01:00 on 2027-11-07.
    due = parse_when("2027-11-07 01:30", now=NOW, zone=NEW_YORK)
    assert due == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


def test_daily_repeats_keep_the_wall_clock_across_daylight_saving() -> None:
    before_change = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 in Paris (CET)
    after = next_occurrence(before_change, Recurrence.DAILY, PARIS, after=before_change)
    assert after.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2027-03-28 09:00"
    assert after - before_change == timedelta(hours=23)


def test_repeats_missed_while_down_are_skipped_not_replayed() -> None:
    due = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris
    weekly = next_occurrence(due, Recurrence.WEEKLY, PARIS, after=NOW)
    assert weekly.astimezone(PARIS).strftime("%a %Y-%m-%d %H:%M") == "Mon 2026-11-30 09:00"
    daily = next_occurrence(due, Recurrence.DAILY, PARIS, after=NOW)
    assert daily.astimezone(PARIS).strftime("%a %Y-%m-%d %H:%M") == "Thu 2026-11-26 09:00"


local_moments = st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)


def _exists(moment: datetime, zone: ZoneInfo) -> bool:
    """False for wall times a daylight saving jump skips."""
    aware = moment.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment


@settings(max_examples=300, deadline=None)
@given(moment=local_moments, zone_name=st.sampled_from(ZONES))
def test_an_absolute_time_means_that_wall_clock_in_the_members_zone(
    moment: datetime, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    due = parse_when(f"{moment:%Y-%m-%d %H:%M}", now=NOW, zone=zone)
    if _exists(moment, zone):
        assert due.astimezone(zone).replace(tzinfo=None) == moment
    else:
        assert due > moment.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=1)


@settings(max_examples=200, deadline=None)
@given(minutes=st.integers(min_value=1, max_value=60 * 24 * 365), zone_name=st.sampled_from(ZONES))
def test_a_duration_is_the_same_in_every_zone(minutes: int, zone_name: str) -> None:
    due = parse_when(f"in {minutes}m", now=NOW, zone=ZoneInfo(zone_name))
    assert due - NOW == timedelta(minutes=minutes)


@settings(max_examples=200, deadline=None)
@given(
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone_name=st.sampled_from(ZONES),
    now=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2029, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
)
def test_a_time_of_day_is_the_next_one_within_a_day(
    hour: int, minute: int, zone_name: str, now: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    due = parse_when(f"{hour:02d}:{minute:02d}", now=now, zone=zone)
    assert now < due <= now + timedelta(hours=25)
    wall = due.astimezone(zone)
    if _exists(datetime.combine(wall.date(), time(hour, minute)), zone):
        assert (wall.hour, wall.minute) == (hour, minute)


@settings(max_examples=200, deadline=None)
@given(
    start=local_moments,
    zone_name=st.sampled_from(ZONES),
    recurrence=st.sampled_from(list(Recurrence)),
    skipped=st.integers(0, 400),
)
def test_repeats_are_later_on_the_same_weekday_and_time(
    start: datetime, zone_name: str, recurrence: Recurrence, skipped: int
) -> None:
    zone = ZoneInfo(zone_name)
    due = start.replace(tzinfo=zone).astimezone(UTC)
    after = due + timedelta(hours=skipped)
    repeat = next_occurrence(due, recurrence, zone, after=after)
    assert repeat > after
    assert repeat - after <= recurrence.step + timedelta(hours=3)
    wall = repeat.astimezone(zone)
    if recurrence is Recurrence.WEEKLY:
        assert wall.weekday() == due.astimezone(zone).weekday()
    if _exists(datetime.combine(wall.date(), due.astimezone(zone).time()), zone):
        assert wall.time() == due.astimezone(zone).time()


def test_leap_day_without_year_is_the_next_leap_day() -> None:
    assert local("feb 29", now=datetime(2028, 3, 1, tzinfo=UTC)) == "Sun 2032-02-29 09:00"


def test_when_error_is_a_user_error() -> None:
    assert issubclass(WhenError, UserError)
