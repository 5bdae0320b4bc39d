"""Durations and reasons moderators type: Discord's bounds, explained."""

from __future__ import annotations

from datetime import timedelta

import pytest

from botfleet.bots.mod.services.limits import (
    MAX_REASON_LENGTH,
    CaseAction,
    DurationTooLongError,
    ReasonTooLongError,
    action_duration,
    audit_reason,
    check_reason,
)
from botfleet.errors import UserError
from botfleet.utils.durations import TimeParseError


@pytest.mark.parametrize(
    ("typed", "action", "expected"),
    [
        ("1h30m", CaseAction.TIMEOUT, timedelta(hours=1, minutes=30)),
        ("28d", CaseAction.TIMEOUT, timedelta(days=28)),
        ("2w", CaseAction.TIMEOUT, timedelta(weeks=2)),
        ("8w", CaseAction.TEMPBAN, timedelta(weeks=8)),
    ],
)
def test_durations_within_bounds_are_read(
    typed: str, action: CaseAction, expected: timedelta
) -> None:
    assert action_duration(typed, action) == expected


def test_a_timeout_past_28_days_is_refused_with_the_limit() -> None:
    with pytest.raises(
        DurationTooLongError, match=r"timeout lasts 28 days at most.*tempban"
    ) as error:
        action_duration("28d1s", CaseAction.TIMEOUT)
    assert isinstance(error.value, UserError)


@pytest.mark.parametrize("typed", ["", "soon", "-5m", "1.5h"])
def test_unreadable_durations_get_the_shared_explanations(typed: str) -> None:
    with pytest.raises(TimeParseError):
        action_duration(typed, CaseAction.TEMPBAN)


def test_reasons_are_trimmed_and_bounded() -> None:
    assert check_reason("  spam  ") == "spam"
    assert check_reason("   ") is None
    assert check_reason(None) is None
    assert check_reason("x" * MAX_REASON_LENGTH) == "x" * MAX_REASON_LENGTH
    with pytest.raises(ReasonTooLongError, match="yours has 513") as error:
        check_reason("x" * 513)
    assert isinstance(error.value, UserError)


def test_audit_reasons_name_the_moderator_and_case_and_fit_discord() -> None:
    assert audit_reason("mia", 12, "spam") == "mia, case #12: spam"
    assert audit_reason("mia", None, None) == "mia: no reason given"
    assert len(audit_reason("mia", 12, "x" * MAX_REASON_LENGTH)) == MAX_REASON_LENGTH
