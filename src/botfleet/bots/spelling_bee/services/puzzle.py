"""The daily puzzle: seven letters around a required centre, the words they spell, the score.

A puzzle is generated from the bundled word list and a seed (the day), so every guild sees the
same puzzle on the same day. The rules a generated puzzle always satisfies: seven different
letters, the centre one of them, every answer four letters or more, made of those letters only
and holding the centre, and at least one pangram (an answer using all seven letters).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from importlib import resources
from typing import Final

LETTER_COUNT: Final = 7
MIN_WORD_LENGTH: Final = 4
PANGRAM_BONUS: Final = 7
MIN_ANSWERS: Final = 15
MAX_ANSWERS: Final = 70
"""Puzzles with fewer answers are over too soon, with more they drag on."""
_WORD: Final = re.compile(r"[a-z]+")


def word_score(word: str) -> int:
    """Four letters score 1, longer words their length, a pangram 7 more."""
    base = 1 if len(word) == MIN_WORD_LENGTH else len(word)
    return base + (PANGRAM_BONUS if len(set(word)) == LETTER_COUNT else 0)


@dataclass(frozen=True, slots=True)
class Rank:
    """A title earned at a share of the puzzle's maximum score."""

    name: str
    percent: int


RANKS: Final = (
    Rank("Beginner", 0),
    Rank("Good Start", 2),
    Rank("Moving Up", 5),
    Rank("Good", 8),
    Rank("Solid", 15),
    Rank("Nice", 25),
    Rank("Great", 40),
    Rank("Amazing", 50),
    Rank("Genius", 70),
    Rank("Queen Bee", 100),
)
GENIUS: Final = RANKS[-2]
QUEEN_BEE: Final = RANKS[-1]


def rank_threshold(rank: Rank, max_score: int) -> int:
    """The score that earns ``rank`` in a puzzle worth ``max_score``."""
    return math.ceil(max_score * rank.percent / 100)


def rank_for(score: int, max_score: int) -> Rank:
    """The highest rank whose threshold ``score`` reaches."""
    return [rank for rank in RANKS if score >= rank_threshold(rank, max_score)][-1]


def next_rank(score: int, max_score: int) -> tuple[Rank, int] | None:
    """The next rank up and the points still missing, or None at Queen Bee.

    In a small puzzle several ranks share a threshold; the highest of them is the one reached.
    """
    above = [rank_threshold(rank, max_score) for rank in RANKS]
    thresholds = [threshold for threshold in above if threshold > score]
    if not thresholds:
        return None
    return rank_for(min(thresholds), max_score), min(thresholds) - score


class Verdict(StrEnum):
    """What became of a submitted word."""

    ACCEPTED = "accepted"
    PANGRAM = "pangram"
    TOO_SHORT = "too_short"
    MISSING_CENTRE = "missing_centre"
    BAD_LETTERS = "bad_letters"
    NOT_IN_LIST = "not_in_list"
    ALREADY_FOUND = "already_found"

    @property
    def scores(self) -> bool:
        return self in {Verdict.ACCEPTED, Verdict.PANGRAM}


def normalise_guess(text: str) -> str:
    """A guess as compared with the answers: trimmed and lowercase."""
    return text.strip().casefold()


@dataclass(frozen=True)
class Puzzle:
    """Seven letters, the centre among them, and every answer of the word list."""

    letters: str
    """The seven letters in alphabetical order."""
    centre: str
    answers: frozenset[str]

    @property
    def outer(self) -> str:
        """The six letters around the centre, alphabetical."""
        return "".join(letter for letter in self.letters if letter != self.centre)

    @cached_property
    def pangrams(self) -> frozenset[str]:
        return frozenset(word for word in self.answers if set(word) == set(self.letters))

    @cached_property
    def max_score(self) -> int:
        return sum(word_score(word) for word in self.answers)

    def judge(self, guess: str, found: Iterable[str]) -> Verdict:
        """The verdict on ``guess`` given the words already found; the rules in their order."""
        word = normalise_guess(guess)
        if not _WORD.fullmatch(word) or not set(word) <= set(self.letters):
            return Verdict.BAD_LETTERS
        if len(word) < MIN_WORD_LENGTH:
            return Verdict.TOO_SHORT
        if self.centre not in word:
            return Verdict.MISSING_CENTRE
        if word not in self.answers:
            return Verdict.NOT_IN_LIST
        if word in set(found):
            return Verdict.ALREADY_FOUND
        return Verdict.PANGRAM if word in self.pangrams else Verdict.ACCEPTED

    def score(self, found: Iterable[str]) -> int:
        return sum(word_score(word) for word in set(found) & self.answers)

    def two_letter_starts(self, found: Iterable[str] = ()) -> dict[str, int]:
        """Answers not yet found, counted by their first two letters."""
        left = self.answers - set(found)
        return dict(sorted(Counter(word[:2] for word in left).items()))

    def counts_grid(self, found: Iterable[str] = ()) -> dict[str, dict[int, int]]:
        """Answers not yet found, by first letter and then by length (the hint grid)."""
        grid: dict[str, dict[int, int]] = defaultdict(dict)
        for word in self.answers - set(found):
            row = grid[word[0]]
            row[len(word)] = row.get(len(word), 0) + 1
        return {letter: dict(sorted(grid[letter].items())) for letter in sorted(grid)}


def shuffled_outer(puzzle: Puzzle, rng: random.Random) -> str:
    """The outer letters in a new order, to look at them afresh."""
    letters = list(puzzle.outer)
    rng.shuffle(letters)
    return "".join(letters)


def _mask(letters: Iterable[str]) -> int:
    mask = 0
    for letter in letters:
        mask |= 1 << (ord(letter) - ord("a"))
    return mask


class WordList:
    """The answer words, indexed by their set of letters for fast puzzle making."""

    def __init__(self, words: Iterable[str]) -> None:
        by_mask: dict[int, list[str]] = defaultdict(list)
        for word in words:
            if len(word) >= MIN_WORD_LENGTH and _WORD.fullmatch(word):
                by_mask[_mask(word)].append(word)
        self._by_mask: Mapping[int, Sequence[str]] = {
            mask: tuple(sorted(found)) for mask, found in sorted(by_mask.items())
        }
        self.pangram_sets: tuple[str, ...] = tuple(
            sorted(
                {
                    "".join(sorted(set(found[0])))
                    for found in self._by_mask.values()
                    if len(set(found[0])) == LETTER_COUNT
                }
            )
        )

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_mask.values())

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._by_mask.get(_mask(word), ())

    @classmethod
    def bundled(cls) -> WordList:
        """The list shipped in ``data/words.txt`` (blocking: call it in a thread)."""
        text = (
            resources.files("botfleet.bots.spelling_bee.data")
            .joinpath("words.txt")
            .read_text(encoding="utf-8")
        )
        return cls(text.split())

    def spelled_with(self, letters: str) -> list[str]:
        """Every word made of ``letters`` only (each may repeat)."""
        full = _mask(letters)
        words: list[str] = []
        subset = full
        while subset:
            words.extend(self._by_mask.get(subset, ()))
            subset = (subset - 1) & full
        return words

    def puzzle_for(self, letters: str, centre: str) -> Puzzle:
        answers = frozenset(word for word in self.spelled_with(letters) if centre in word)
        return Puzzle("".join(sorted(letters)), centre, answers)

    def generate(self, seed: str) -> Puzzle:
        """The puzzle of ``seed``: always the same one for the same seed and list.

        Letter sets of pangrams are tried in a seeded order, each with its letters as centre in
        a seeded order, until one has a comfortable number of answers; failing that, the one
        with the most answers is taken, which still holds its pangram.
        """
        if not self.pangram_sets:
            raise ValueError("The word list has no word of seven different letters.")
        rng = random.Random(seed)  # noqa: S311  (reproducible by design)
        candidates = list(self.pangram_sets)
        rng.shuffle(candidates)
        fallback = self.puzzle_for(candidates[0], candidates[0][0])
        for letters in candidates:
            centres = list(letters)
            rng.shuffle(centres)
            for centre in centres:
                puzzle = self.puzzle_for(letters, centre)
                if MIN_ANSWERS <= len(puzzle.answers) <= MAX_ANSWERS:
                    return puzzle
                if len(puzzle.answers) > len(fallback.answers):
                    fallback = puzzle
        return fallback
