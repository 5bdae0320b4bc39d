"""The puzzle rules, scoring and ranks, without Discord or a database."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botfleet.bots.spelling_bee.services.puzzle import (
    LETTER_COUNT,
    MIN_WORD_LENGTH,
    RANKS,
    Puzzle,
    Verdict,
    WordList,
    next_rank,
    rank_for,
    rank_threshold,
    shuffled_outer,
    word_score,
)
from botfleet.services.profanity import is_profane_word

BUNDLED = WordList.bundled()


def small_puzzle() -> Puzzle:
    words = ["table", "bleat", "tablet", "able", "bale", "late", "tale", "abet", "cat", "ablate"]
    return WordList(words).puzzle_for("ablet" + "cd", "a")


@settings(max_examples=60, deadline=None)
@given(seed=st.text(max_size=12))
def test_every_generated_puzzle_satisfies_its_rules(seed: str) -> None:
    puzzle = BUNDLED.generate(seed)
    assert len(puzzle.letters) == LETTER_COUNT == len(set(puzzle.letters))
    assert puzzle.centre in puzzle.letters
    assert puzzle.pangrams, "at least one pangram"
    for word in puzzle.answers:
        assert len(word) >= MIN_WORD_LENGTH
        assert puzzle.centre in word
        assert set(word) <= set(puzzle.letters)
        assert word in BUNDLED
    assert puzzle.answers == frozenset(
        word for word in BUNDLED.spelled_with(puzzle.letters) if puzzle.centre in word
    ), "every word of the list the hive spells is an answer"


def test_the_same_seed_gives_the_same_puzzle_and_days_differ() -> None:
    assert BUNDLED.generate("2026-11-25") == WordList.bundled().generate("2026-11-25")
    days = {BUNDLED.generate(f"2026-11-{day:02}").letters for day in range(1, 11)}
    assert len(days) > 5


def test_the_bundled_list_is_clean_common_lowercase_words() -> None:
    words = BUNDLED.spelled_with("abcdefghijklmnopqrtuvwxyz")
    assert len(words) == len(BUNDLED) > 5000, "no word has an S"
    assert all(word.isalpha() and word.islower() for word in words)
    assert not [word for word in words if is_profane_word(word)]
    assert "london" not in BUNDLED and "berlin" not in BUNDLED, "no proper nouns"


@given(word=st.text(alphabet="abcdefg", min_size=MIN_WORD_LENGTH, max_size=15))
def test_word_score(word: str) -> None:
    base = 1 if len(word) == MIN_WORD_LENGTH else len(word)
    bonus = 7 if len(set(word)) == LETTER_COUNT else 0
    assert word_score(word) == base + bonus


def test_word_score_examples() -> None:
    assert word_score("able") == 1
    assert word_score("table") == 5
    assert word_score("fretting") == 8 + 7


@given(max_score=st.integers(1, 500), data=st.data())
def test_ranks_rise_with_the_score(max_score: int, data: st.DataObject) -> None:
    low = data.draw(st.integers(0, max_score))
    high = data.draw(st.integers(low, max_score))
    order = list(RANKS)
    assert order.index(rank_for(low, max_score)) <= order.index(rank_for(high, max_score))
    assert rank_for(0, max_score).name == "Beginner"
    assert rank_for(max_score, max_score).name == "Queen Bee"
    assert max_score == 1 or rank_for(max_score - 1, max_score).name != "Queen Bee"
    upcoming = next_rank(low, max_score)
    if upcoming is None:
        assert low == max_score
    else:
        rank, missing = upcoming
        assert missing > 0 and rank_for(low + missing, max_score) == rank


def test_rank_thresholds_at_fixed_percentages() -> None:
    by_name = {rank.name: rank for rank in RANKS}
    assert rank_threshold(by_name["Genius"], 100) == 70
    assert rank_threshold(by_name["Amazing"], 100) == 50
    assert rank_threshold(by_name["Queen Bee"], 293) == 293
    assert rank_for(69, 100).name == "Amazing"
    assert rank_for(70, 100).name == "Genius"


@pytest.mark.parametrize(
    ("guess", "found", "verdict"),
    [
        ("TABLE", [], Verdict.ACCEPTED),
        ("  tablet ", [], Verdict.ACCEPTED),
        ("tab", [], Verdict.TOO_SHORT),
        ("belt", [], Verdict.MISSING_CENTRE),
        ("tables", [], Verdict.BAD_LETTERS),
        ("ta-ble", [], Verdict.BAD_LETTERS),
        ("abate", [], Verdict.NOT_IN_LIST),
        ("table", ["table"], Verdict.ALREADY_FOUND),
    ],
)
def test_verdicts(guess: str, found: list[str], verdict: Verdict) -> None:
    assert small_puzzle().judge(guess, found) is verdict


def test_pangram_verdict_and_score() -> None:
    puzzle = BUNDLED.generate("2026-11-25")
    pangram = sorted(puzzle.pangrams)[0]
    assert puzzle.judge(pangram, []) is Verdict.PANGRAM
    assert puzzle.score([pangram, pangram, "notaword"]) == word_score(pangram)
    assert puzzle.max_score == sum(word_score(word) for word in puzzle.answers)


def test_hints_count_the_words_left() -> None:
    puzzle = small_puzzle()
    assert puzzle.answers == {
        "table",
        "bleat",
        "tablet",
        "able",
        "bale",
        "late",
        "tale",
        "abet",
        "ablate",
    }
    assert puzzle.two_letter_starts() == {"ab": 3, "ba": 1, "bl": 1, "la": 1, "ta": 3}
    assert puzzle.two_letter_starts(["able", "abet"]) == {
        "ab": 1,
        "ba": 1,
        "bl": 1,
        "la": 1,
        "ta": 3,
    }
    assert puzzle.counts_grid(["tablet"]) == {
        "a": {4: 2, 6: 1},
        "b": {4: 1, 5: 1},
        "l": {4: 1},
        "t": {4: 1, 5: 1},
    }


@given(seed=st.integers())
def test_shuffle_keeps_the_outer_letters(seed: int) -> None:
    puzzle = small_puzzle()
    assert sorted(shuffled_outer(puzzle, random.Random(seed))) == sorted(puzzle.outer)
    assert puzzle.centre not in puzzle.outer
