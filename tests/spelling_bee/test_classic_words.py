"""The classic mode's word data and masking, without Discord."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.bots.spelling_bee.services.classic_words import (
    MASK,
    ClassicWord,
    ClassicWordBank,
    Difficulty,
    mask_word,
    shows_word,
)

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@pytest.fixture(scope="module")
def bank() -> ClassicWordBank:
    return ClassicWordBank.bundled()


def test_the_bundled_file_has_words_of_every_difficulty(bank: ClassicWordBank) -> None:
    for level in Difficulty:
        assert bank.size(level) >= 500, level
    easy = {entry.word for entry in bank.words(Difficulty.EASY)}
    hard = {entry.word for entry in bank.words(Difficulty.HARD)}
    assert {"garden", "water"} <= easy
    assert not easy & hard


def test_every_word_has_clues_that_never_show_it(bank: ClassicWordBank) -> None:
    parts = {"noun", "verb", "adjective", "adverb"}
    with_example = 0
    for level in Difficulty:
        for entry in bank.words(level):
            assert re.fullmatch(r"[a-z]{4,14}", entry.word), entry
            assert entry.part_of_speech in parts, entry
            assert entry.definition.strip(), entry
            assert entry.word not in entry.definition.casefold(), entry
            if entry.example is not None:
                with_example += 1
                assert entry.word not in entry.example.casefold(), entry
                assert MASK in entry.example, "examples are kept only when they use the word"
    assert with_example > 3000


def test_the_words_a_game_draws_have_definitions(bank: ClassicWordBank) -> None:
    rng = random.Random(5)
    for level in Difficulty:
        used: set[str] = set()
        for _ in range(30):
            entry = bank.pick(level, rng, used)
            assert entry.word not in used, "a game never asks the same word twice"
            assert entry.difficulty is level and entry.definition
            used.add(entry.word)


def test_a_bank_whose_clues_show_the_word_is_refused() -> None:
    def entry(word: str, definition: str, level: Difficulty) -> ClassicWord:
        return ClassicWord(word, "noun", definition, None, level)

    words = ("dove", "kite", "lamp")
    good = [entry(word, "a thing", level) for word, level in zip(words, Difficulty, strict=True)]
    assert ClassicWordBank(good).size(Difficulty.HARD) == 1
    with pytest.raises(ValueError, match="clues of 'tree' show the word"):
        ClassicWordBank([*good, entry("tree", "a tall tree", Difficulty.EASY)])
    with pytest.raises(ValueError, match="no classic words for hard"):
        ClassicWordBank(good[:2])


@pytest.mark.parametrize(
    ("text", "word", "forms", "expected"),
    [
        ("You must carry your gear", "carry", (), f"You must {MASK} your gear"),
        ("she carried it; Carriers", "carry", (), f"she {MASK} it; {MASK}"),
        ("making a cake", "make", (), f"{MASK} a cake"),
        ("he ran home", "run", ("ran",), f"he {MASK} home"),
        ("a portable table", "table", (), f"a {MASK} {MASK}"),
        ("nothing to hide", "garden", (), "nothing to hide"),
    ],
)
def test_masking_hides_the_word_and_its_forms(
    text: str, word: str, forms: tuple[str, ...], expected: str
) -> None:
    assert mask_word(text, word, forms) == expected


@given(text=st.text(max_size=80), word=WORDS, forms=st.lists(WORDS, max_size=3))
def test_a_masked_text_never_shows_the_word_or_its_forms(
    text: str, word: str, forms: list[str]
) -> None:
    masked = mask_word(text, word, forms)
    assert not shows_word(masked, word)
    assert not any(shows_word(masked, form) for form in forms)


@given(prefix=st.text(max_size=20), word=WORDS, suffix=st.text(max_size=20))
def test_a_text_holding_the_word_is_masked(prefix: str, word: str, suffix: str) -> None:
    text = prefix + word + suffix
    assert shows_word(text, word)
    assert not shows_word(mask_word(text, word), word)
