"""Going through a check's issues: focus, applying one or all, and the corrected text."""

from __future__ import annotations

import pytest

from botfleet.bots.grammar.services.checker import CheckResult
from botfleet.bots.grammar.services.corrections import NoSuggestionError
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.bots.grammar.services.review import ISSUES_PER_PAGE, NothingToApplyError, Review
from botfleet.errors import UserError

TEXT = "Their going to teh park"


def issue(start: int, end: int, *suggestions: str) -> Issue:
    return Issue(start, end, Category.GRAMMAR, "wrong", suggestions, "because", "test", "rule")


THEIR = issue(0, 5, "They're")
TEH = issue(15, 18, "the")
PARK = issue(19, 23)  # no suggestion


def review() -> Review:
    return Review(CheckResult(TEXT, "en-US", (THEIR, TEH, PARK)))


def test_applying_in_any_order_gives_the_same_text() -> None:
    start = review()
    first_then_second = start.apply_current().apply_current()
    second_then_first = start.move(1).apply_current().move(-1).apply_current()
    assert first_then_second.corrected_text == "They're going to the park"
    assert second_then_first.corrected_text == first_then_second.corrected_text


def test_applying_moves_on_to_the_next_open_issue() -> None:
    applied = review().apply_current()
    assert applied.current == 1 and applied.applied == {0}
    with pytest.raises(UserError, match="applied already"):
        applied.move(-1).apply_current()


def test_an_issue_without_a_suggestion_cannot_be_applied() -> None:
    with pytest.raises(NoSuggestionError):
        review().move(-1).apply_current()


def test_apply_all_applies_what_is_left_then_refuses() -> None:
    everything = review().apply_all()
    assert everything.corrected_text == "They're going to the park"
    assert everything.pending() == []
    with pytest.raises(NothingToApplyError):
        everything.apply_all()


def test_focus_wraps_around_and_pages_follow_it() -> None:
    many = tuple(issue(index, index + 1, "x") for index in range(ISSUES_PER_PAGE + 2))
    long_review = Review(CheckResult("y" * len(many), "en-US", many))
    assert long_review.page_count == 2
    last = long_review.move(-1)
    assert last.current == len(many) - 1 and last.page == 1
    assert [index for index, _ in last.page_issues()] == [ISSUES_PER_PAGE, ISSUES_PER_PAGE + 1]
    assert last.move(1).current == 0
