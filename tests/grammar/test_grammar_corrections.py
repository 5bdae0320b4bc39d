"""Applying suggestions, and merging the findings of several engines into one list."""

from __future__ import annotations

import pytest

from botfleet.bots.grammar.services.checker import merge_issues
from botfleet.bots.grammar.services.corrections import (
    NoSuggestionError,
    apply_all,
    apply_suggestion,
)
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.errors import UserError


def issue(
    start: int,
    end: int,
    *suggestions: str,
    engine: str = "harper",
    rule: str = "R",
    category: Category = Category.GRAMMAR,
) -> Issue:
    return Issue(
        start=start,
        end=end,
        category=category,
        message="wrong",
        suggestions=suggestions,
        explanation="because",
        engine=engine,
        rule=rule,
    )


TEXT = "I has a apple"


def test_one_suggestion_of_choice_is_applied() -> None:
    flagged = issue(2, 5, "have", "had")
    assert apply_suggestion(TEXT, flagged) == "I have a apple"
    assert apply_suggestion(TEXT, flagged, 1) == "I had a apple"
    with pytest.raises(UserError, match="not on the list"):
        apply_suggestion(TEXT, flagged, 2)
    with pytest.raises(NoSuggestionError, match="fix it by hand"):
        apply_suggestion(TEXT, issue(2, 5))
    with pytest.raises(ValueError, match="past a text"):
        apply_suggestion("I has", issue(6, 7, "an"))


def test_all_suggestions_apply_right_to_left_and_skip_overlaps() -> None:
    has, article, overlapping, bare = (
        issue(2, 5, "have"),
        issue(6, 7, "an"),
        issue(6, 13, "an apple"),
        issue(0, 1),
    )
    corrected = apply_all(TEXT, [article, overlapping, has, bare])
    assert corrected.text == "I have an apple"
    assert corrected.applied == (has, article)
    assert set(corrected.skipped) == {overlapping, bare}


def test_removals_and_insertions_are_replacements_of_the_span() -> None:
    text = "It is is fine"
    corrected = apply_all(text, [issue(5, 8, ""), issue(13, 13, "!")])
    assert corrected.text == "It is fine!"


def test_merging_keeps_the_best_ranked_engine_and_drops_overlaps() -> None:
    harper = [issue(6, 7, "an", rule="AnA"), issue(2, 5, "have", rule="Agreement")]
    languagetool = [
        issue(6, 8, "an ", engine="languagetool", rule="EN_A_VS_AN"),
        issue(8, 13, "pear", engine="languagetool", rule="FRUIT"),
    ]
    spelling = [issue(2, 5, "hams", engine="spelling", category=Category.SPELLING)]
    merged = merge_issues([harper, languagetool, spelling])
    assert [(item.start, item.engine, item.rule) for item in merged] == [
        (2, "harper", "Agreement"),
        (6, "harper", "AnA"),
        (8, "languagetool", "FRUIT"),
    ]
    assert merge_issues([spelling, languagetool, harper])[0].engine == "spelling"


def test_merging_keeps_a_longer_lower_ranked_finding_that_overlaps_no_kept_one() -> None:
    harper = [issue(10, 14, rule="Short")]
    rules = [
        issue(0, 8, engine="rules", rule="LONG_BEFORE"),
        issue(12, 30, engine="rules", rule="LONG_ACROSS"),
    ]
    spelling = [issue(20, 40, engine="spelling", rule="LONG_AFTER")]
    merged = merge_issues([harper, rules, spelling])
    assert [(item.start, item.end, item.rule) for item in merged] == [
        (0, 8, "LONG_BEFORE"),
        (10, 14, "Short"),
        (20, 40, "LONG_AFTER"),
    ], "only LONG_ACROSS overlaps a kept finding; LONG_AFTER overlaps nothing but it"


def test_merging_within_one_engine_keeps_the_earlier_finding_of_two_that_overlap() -> None:
    rules = [issue(4, 9, engine="rules", rule="B"), issue(0, 6, engine="rules", rule="A")]
    assert [item.rule for item in merge_issues([[], rules])] == ["A"]


def test_merging_is_deterministic_and_leaves_protected_spans_alone() -> None:
    findings = [[issue(9, 12, "x", rule="B"), issue(0, 3, "y", rule="A")], [issue(20, 24, "z")]]
    first = merge_issues(findings, skipped=[(8, 15)])
    assert [item.start for item in first] == [0, 20]
    assert merge_issues([list(reversed(findings[0])), findings[1]], skipped=[(8, 15)]) == first


def test_issues_touching_at_a_point_overlap_only_when_one_is_empty() -> None:
    assert not issue(0, 3).overlaps(issue(3, 5))
    assert issue(3, 3).overlaps(issue(0, 3))
    assert issue(1, 4).overlaps(issue(3, 5))
    with pytest.raises(ValueError, match="start <= end"):
        issue(5, 2)
