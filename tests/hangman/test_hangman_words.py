"""The bundled word lists and the checks on words that members and admins type."""

from __future__ import annotations

import json
import random
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.bots.hangman.services.words import (
    Difficulty,
    WordBank,
    length_difficulty,
    to_list_name,
    to_secret,
)
from botfleet.errors import UserError
from botfleet.services.content_policy import flagged_words
from botfleet.services.profanity import is_profane_word

BANK = WordBank.bundled()


def test_bundled_lists_have_every_difficulty_and_only_playable_clean_words() -> None:
    names = {category.name for category in BANK.categories}
    assert {"animals", "food", "science", "general"} <= names
    for category in BANK.categories:
        for level in Difficulty:
            words = category.words[level]
            assert len(words) >= 5, (category.name, level)
            assert list(words) == sorted(set(words))
    assert "elephant" in BANK.category("animals").words[Difficulty.EASY]


def test_every_bundled_word_is_family_safe_by_every_judge() -> None:
    words = [
        word
        for category in BANK.categories
        for level in Difficulty
        for word in category.words[level]
    ]
    assert flagged_words(words) == {}


@pytest.mark.parametrize(
    ("category", "strangers"),
    [
        ("animals", {"giant", "mankind", "humans", "virus", "bacteria", "drone", "wing", "fetus"}),
        ("body", {"buns", "hooks", "organ", "gene", "valve", "corpse"}),
        ("plants", {"clocks", "trumpets", "blinks", "needle", "blade", "sang"}),
        ("food", {"vodka", "wine", "liquor", "organs", "diet", "helping"}),
        ("clothing", {"stole", "stays", "threads", "weeds", "laundry"}),
        ("science", {"bolt", "bond", "elves", "sprites", "eugenics"}),
        ("sports", {"trolling", "ducking", "fives"}),
    ],
)
def test_categories_hold_only_what_they_say(category: str, strangers: set[str]) -> None:
    """Words found in the wrong category by readers, by a sense few would think of."""
    words = BANK.category(category).words
    assert not strangers & {word for level in Difficulty for word in words[level]}


def test_the_data_credits_its_sources() -> None:
    data = resources.files("botfleet.bots.hangman").joinpath("data")
    document = json.loads(data.joinpath("words.json").read_text(encoding="utf-8"))
    assert document["generated_by"] == "scripts/build_hangman_words.py"
    sources = data.joinpath("SOURCES.md").read_text(encoding="utf-8")
    for credit in ("SCOWL", "WordNet 3.0", "wordfreq", "CC BY-SA 4.0", "better-profanity", "MIT"):
        assert credit in sources


def test_picking_follows_category_and_difficulty() -> None:
    rng = random.Random(7)
    category, word = BANK.pick("Animals", Difficulty.HARD, rng)
    assert category.name == "animals"
    assert word in category.words[Difficulty.HARD]
    chosen, _ = BANK.pick(None, Difficulty.EASY, rng)
    assert chosen in BANK.categories
    with pytest.raises(UserError, match="no category called “dragons”"):
        BANK.pick("dragons", Difficulty.EASY, rng)


def test_a_broken_word_file_is_refused() -> None:
    document = {
        "categories": {"x": {"description": "", "easy": ["ok"], "medium": [], "hard": ["n0pe"]}}
    }
    with pytest.raises(ValueError, match="unplayable"):
        WordBank.from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("typed", "secret"),
    [
        ("Hippopotamus", "hippopotamus"),
        ("  ice-cream   cone ", "ice-cream cone"),
        ("Crème brûlée", "creme brulee"),
        ("Rock’n’Roll", "rock'n'roll"),
    ],
)
def test_members_words_are_normalised(typed: str, secret: str) -> None:
    assert to_secret(typed) == secret


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "Type a word"),
        ("ab", "at least 3 letters"),
        ("r2d2", "only the letters A to Z"),
        ("hello--world", "only the letters A to Z"),
        ("x" * 33, "33 characters"),
        ("Shitty", "without profanity"),
    ],
)
def test_unplayable_words_get_a_friendly_reason(typed: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        to_secret(typed)


def test_list_names() -> None:
    assert to_list_name("  Star Wars ", BANK) == "star wars"
    with pytest.raises(UserError, match="bundled categories"):
        to_list_name("Animals", BANK)
    with pytest.raises(UserError, match="2 to 24"):
        to_list_name("x", BANK)
    with pytest.raises(UserError, match="letters, digits"):
        to_list_name("a/b", BANK)


@given(st.from_regex(r"[a-z]{3,10}( [a-z]{1,10})?", fullmatch=True))
def test_any_plain_word_or_phrase_is_playable_as_typed(text: str) -> None:
    if is_profane_word(text.replace(" ", "")) or any(map(is_profane_word, text.split())):
        return
    secret = to_secret(text.upper())
    assert secret == text
    letters = sum(char.isalpha() for char in secret)
    assert length_difficulty(secret) == (
        Difficulty.EASY if letters <= 6 else Difficulty.MEDIUM if letters <= 9 else Difficulty.HARD
    )
