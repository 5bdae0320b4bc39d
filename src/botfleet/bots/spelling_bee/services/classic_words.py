"""The classic mode's words: each with its definition, part of speech and a masked example.

``data/classic.json`` is built by ``scripts/build_spelling_bee_definitions.py`` from WordNet 3.0,
so the bot reads one file and needs no WordNet at run time. The word to spell never appears in
what is shown about it: :func:`mask_word` hides it (and its inflections) in the definition and
example, at build time, and the loader refuses a file where it would show.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, Final

MASK: Final = "___"
"""What stands for the word in a definition or example; it has no letters."""
DATA_FILE: Final = "classic.json"
_LETTERS: Final = re.compile(r"[^\W\d_]+")
_STEM_ENDINGS: Final = "ey"
"""A word ending in e or y drops it before some endings (make: making, carry: carried)."""
MIN_STEM_LENGTH: Final = 3


class Difficulty(StrEnum):
    """How hard a word is to spell: rarer and longer words are harder."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


def mask_word(text: str, word: str, forms: Iterable[str] = ()) -> str:
    """``text`` with every run of letters that would give ``word`` away replaced by :data:`MASK`.

    A run is hidden when it holds the word or one of its ``forms`` (irregular inflections such
    as "ran" for "run"), or starts with the word less a final e or y ("making", "carried").
    """
    word = word.casefold()
    hidden = {word, *(form.casefold() for form in forms)}
    stems = {word[:-1]} if word[-1:] in _STEM_ENDINGS and len(word) > MIN_STEM_LENGTH else set()

    def hide(match: re.Match[str]) -> str:
        run = match.group().casefold()
        if any(form in run for form in hidden) or any(run.startswith(stem) for stem in stems):
            return MASK
        return match.group()

    return _LETTERS.sub(hide, text)


def shows_word(text: str, word: str) -> bool:
    """Whether ``text`` would tell a reader how ``word`` is spelled."""
    return word.casefold() in text.casefold()


@dataclass(frozen=True, slots=True)
class ClassicWord:
    """A word to spell and what the bot tells about it."""

    word: str
    part_of_speech: str
    definition: str
    example: str | None
    difficulty: Difficulty


class ClassicWordBank:
    """The words of the classic mode by difficulty."""

    def __init__(self, words: Iterable[ClassicWord]) -> None:
        by_difficulty: dict[Difficulty, list[ClassicWord]] = {level: [] for level in Difficulty}
        for entry in words:
            if shows_word(entry.definition, entry.word) or (
                entry.example is not None and shows_word(entry.example, entry.word)
            ):
                raise ValueError(f"the clues of {entry.word!r} show the word")
            by_difficulty[entry.difficulty].append(entry)
        empty = [level.value for level, entries in by_difficulty.items() if not entries]
        if empty:
            raise ValueError(f"no classic words for {', '.join(empty)}")
        self._words: dict[Difficulty, tuple[ClassicWord, ...]] = {
            level: tuple(entries) for level, entries in by_difficulty.items()
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ClassicWordBank:
        """Read the JSON document the build script writes."""
        words = document["words"]
        return cls(
            ClassicWord(word, pos, definition, example or None, Difficulty(level))
            for level in Difficulty
            for word, pos, definition, example in words[level.value]
        )

    @classmethod
    def bundled(cls) -> ClassicWordBank:
        """The words shipped with the bot (file I/O and parsing: call it in a thread)."""
        text = (
            resources.files("botfleet.bots.spelling_bee")
            .joinpath("data", DATA_FILE)
            .read_text(encoding="utf-8")
        )
        return cls.from_document(json.loads(text))

    def words(self, difficulty: Difficulty) -> Sequence[ClassicWord]:
        return self._words[difficulty]

    def size(self, difficulty: Difficulty) -> int:
        return len(self._words[difficulty])

    def pick(
        self, difficulty: Difficulty, rng: random.Random, used: Collection[str] = ()
    ) -> ClassicWord:
        """A word of ``difficulty`` not among ``used`` (any word once all were used)."""
        entries = self._words[difficulty]
        fresh = [entry for entry in entries if entry.word not in used]
        return rng.choice(fresh or list(entries))
