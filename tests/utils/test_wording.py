"""Counts and names in sentences: one helper for "1 win" and "2 wins"."""

from __future__ import annotations

import pytest

from botfleet.utils.wording import agree, and_list, noun_for, plural, role_label


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 wins"), (1, "1 win"), (2, "2 wins"), (1200, "1,200 wins"), (-1, "-1 wins")],
)
def test_plural_agrees_with_the_count(count: int, expected: str) -> None:
    assert plural(count, "win") == expected


def test_irregular_nouns_give_their_plural() -> None:
    assert plural(1, "life", "lives") == "1 life"
    assert plural(3, "life", "lives") == "3 lives"
    assert noun_for(2, "process", "processes") == "processes"


def test_verbs_agree_with_their_subjects_and_lists_read_as_sentences() -> None:
    leaders = ["**Apple**", "**Banana**"]
    assert f"{and_list(leaders)} {agree(len(leaders), 'leads', 'lead')}" == (
        "**Apple** and **Banana** lead"
    )
    assert and_list(["A"]) == "A" and and_list([]) == ""
    assert and_list(["A", "B", "C"]) == "A, B and C"
    assert agree(1, "leads", "lead") == "leads"


def test_role_labels_never_double_the_at_sign() -> None:
    assert role_label("Moderators") == "@Moderators"
    assert role_label("@everyone") == "@everyone"
