"""The game lists' content policy: three judges, each catching what the others miss."""

from __future__ import annotations

import pytest
from better_profanity import Profanity

from botfleet.services.content_policy import (
    REVIEWED_UNSUITABLE,
    Judge,
    base_forms,
    blocklist,
    flagged_words,
    is_family_safe,
    judges_flagging,
)
from botfleet.services.profanity import is_profane_word


@pytest.mark.parametrize(
    ("word", "judges"),
    [
        ("shit", (Judge.CHAT_FILTER, Judge.BLOCKLIST)),
        ("retard", (Judge.CHAT_FILTER, Judge.BLOCKLIST)),
        ("naked", (Judge.BLOCKLIST,)),
        ("murder", (Judge.BLOCKLIST,)),
        ("killing", (Judge.BLOCKLIST,)),
        ("homicide", (Judge.REVIEWED,)),
        ("tortured", (Judge.REVIEWED,)),
        ("garden", ()),
        ("elephant", ()),
    ],
)
def test_each_judge_gives_its_own_verdict(word: str, judges: tuple[Judge, ...]) -> None:
    assert judges_flagging(word) == judges
    assert is_family_safe(word) is not judges


def test_the_policy_is_stricter_than_the_chat_filter_which_stays_as_it_was() -> None:
    for word in ("murder", "naked", "homicide", "cocaine"):
        assert not is_family_safe(word)
        assert not is_profane_word(word), "chat may say it; a game list may not"


@pytest.mark.parametrize(
    "word", ["scunthorpe", "assess", "classic", "cocktail", "butter", "lend", "peer", "testing"]
)
def test_innocent_words_hiding_a_listed_one_stay_safe(word: str) -> None:
    assert is_family_safe(word)


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("killing", {"killing", "kill", "kille"}),
        ("tortured", {"tortured", "tortur", "torture"}),
        ("abused", {"abused", "abus", "abuse"}),
        ("kills", {"kills", "kill"}),
        ("assess", {"assess"}),
        ("lend", {"lend"}),
        ("hoard", {"hoard"}),
        ("butter", {"butter"}),
    ],
)
def test_base_forms_strip_one_plain_ending(word: str, forms: set[str]) -> None:
    assert base_forms(word) == forms


def test_the_reviewed_list_holds_only_words_the_others_miss() -> None:
    caught_elsewhere = [
        word for word in REVIEWED_UNSUITABLE if set(judges_flagging(word)) - {Judge.REVIEWED}
    ]
    assert not caught_elsewhere, "drop these from the reviewed list: another judge has them"
    assert all(word == word.casefold() and word.isalpha() for word in REVIEWED_UNSUITABLE)


def test_flagged_words_names_the_judges_alphabetically() -> None:
    assert flagged_words(["tree", "murder", "homicide", "murder"]) == {
        "homicide": (Judge.REVIEWED,),
        "murder": (Judge.BLOCKLIST,),
    }


def test_the_blocklist_judges_plain_words_as_its_package_does() -> None:
    """Reading the package's list gives the verdicts of its own check, only faster."""
    package = Profanity()
    package.load_censor_words()
    sample = [*sorted(blocklist())[:300:3], "garden", "cocktail", "assess", "elephant"]
    for word in sample:
        if word.isalpha():
            assert package.contains_profanity(word) == (word in blocklist()), word
