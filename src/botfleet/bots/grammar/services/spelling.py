"""The spelling engine: pyspellchecker's word-frequency dictionaries, for suggestions offline.

It reads words the way chat is written: contractions, numbers, chat abbreviations, technical
vocabulary (``data/tech_words.txt``) and anything code-like (a file name, a handle, a path,
``snake_case``, ``camelCase``, a word with digits) are not misspellings, and neither is a
capitalized word, even one opening a sentence: names open sentences all the time in chat, and
Harper still checks the first word of a sentence.

**Suggestions** come from a SymSpell index (symspellpy) of the dictionary's words used at least
:data:`SUGGESTION_MIN_COUNT` times: a lookup costs well under a millisecond whatever the word's
length, where pyspellchecker's own search builds every string two edits away (a second for a
line of five long unknown words). Like pyspellchecker's, the candidates are the known words at
the smallest edit distance (one, else two), most frequent first.
Harper flags most misspellings itself; the grammar checker keeps Harper's finding and drops
this engine's duplicate, so this engine adds the words Harper missed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Final

from spellchecker import SpellChecker
from symspellpy import SymSpell, Verbosity

from botfleet.bots.grammar.services.engine import base_language, unique_suggestions
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.bots.grammar.services.text import (
    EDGE_PUNCTUATION,
    looks_like_code,
    overlaps_any,
    protected_spans,
)
from botfleet.bots.grammar.services.vocabulary import KNOWN_WORDS

log = logging.getLogger(__name__)

LANGUAGES: Final = frozenset(SpellChecker.languages())
"""The languages pyspellchecker ships a dictionary for."""
COMMON_WORD_COUNT: Final = 1000
"""Occurrences in pyspellchecker's English corpus above which a word counts as common.

The English list also holds foreign words ("mañana" 50, "playa" 247, "amigos" 608), so
telling English from another language by word needs the common words only ("tomorrow" has
248,063, "apple" 24,670).
"""
MAX_WORD_LENGTH: Final = 30
"""Longer runs of letters are not words a dictionary helps with."""
MAX_EDIT_DISTANCE: Final = 2
SUGGESTION_MIN_COUNT: Final = 100
"""Occurrences a word needs to be suggested: 47,000 English words, an index built in about a
second (all 160,000 would take ten, for rare words nobody means)."""
PREFIX_LENGTH: Final = 5
"""Letters of each word SymSpell indexes: 5 builds the index twice as fast as its default 7
(about a second) for lookups still under a millisecond; 4 would make them ten times slower."""
_CHUNK: Final = re.compile(r"\S+")
_PLAIN_WORD: Final = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


class SpellingEngine:
    """pyspellchecker for the configured languages (English by default)."""

    name = "spelling"

    def __init__(self, languages: frozenset[str] = frozenset({"en"})) -> None:
        self._languages = frozenset(base_language(code) for code in languages) & LANGUAGES

    def supports(self, language: str) -> bool:
        return base_language(language) in self._languages

    async def start(self) -> None:
        for language in sorted(self._languages):
            await asyncio.to_thread(self._checker, language)

    async def check(self, text: str, language: str) -> list[Issue]:
        return await asyncio.to_thread(self.check_in_thread, text, language)

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        return self._check(text, base_language(language))

    async def close(self) -> None:
        """Nothing to release: the dictionaries are plain memory."""

    def is_common_english(self, word: str) -> bool:
        """Whether ``word`` is a common English word (loads the dictionary on first use)."""
        frequency = self._checker("en").word_frequency
        return frequency[word.lower().replace("’", "'")] >= COMMON_WORD_COUNT

    def could_be_typo(self, word: str) -> bool:
        """Whether a known English word lies within two edits of ``word``.

        A word with none (a tool's name, keyboard mash) is no typo a suggestion could mend.
        Answers yes while the dictionary is not loaded: loading it would cost the check seconds.
        """
        loaded = _DICTIONARIES.get("en")
        if loaded is None:
            return True
        checker, index = loaded
        lowered = word.lower()
        nearest = index.lookup(lowered, Verbosity.TOP, max_edit_distance=MAX_EDIT_DISTANCE)
        return bool(nearest) or bool(checker.known([lowered]))

    def _checker(self, language: str) -> SpellChecker:
        return _dictionary(language)[0]

    def _check(self, text: str, language: str) -> list[Issue]:
        checker, index = _dictionary(language)
        skipped = protected_spans(text)
        issues = []
        for start, end in _candidate_words(text):
            word = text[start:end]
            if overlaps_any(start, end, skipped) or word[:1].isupper():
                continue
            lowered = word.lower()
            if lowered in KNOWN_WORDS or len(word) > MAX_WORD_LENGTH or checker.known([lowered]):
                continue
            if looks_like_code(text, start, end):
                continue
            issues.append(
                Issue(
                    start=start,
                    end=end,
                    category=Category.SPELLING,
                    message=f"“{word}” may be misspelled.",
                    suggestions=_suggestions(index, word),
                    explanation=(
                        f"“{word}” is not in the dictionary; the suggestions are the closest "
                        "common words."
                    ),
                    engine=self.name,
                    rule="UNKNOWN_WORD",
                )
            )
        return issues


def _candidate_words(text: str) -> list[tuple[int, int]]:
    """Spans of plain words: chunks between spaces made of letters, minus edge punctuation.

    A chunk with a digit, an apostrophe or a symbol inside (``5pm``, ``don't``, ``a_b``,
    ``file.txt``) is not a plain word, and is left alone. Hyphenated words are split.
    """
    spans = []
    for chunk in _CHUNK.finditer(text):
        start, end = chunk.start(), chunk.end()
        while start < end and text[start] in EDGE_PUNCTUATION:
            start += 1
        while end > start and text[end - 1] in EDGE_PUNCTUATION:
            end -= 1
        if start == end or _PLAIN_WORD.fullmatch(text, start, end) is None:
            continue
        offset = start
        for part in text[start:end].split("-"):
            if len(part) > 1:
                spans.append((offset, offset + len(part)))
            offset += len(part) + 1
    return spans


_DICTIONARIES: dict[str, tuple[SpellChecker, SymSpell]] = {}
_LOADING: Final = threading.Lock()


def _dictionary(language: str) -> tuple[SpellChecker, SymSpell]:
    """A language's dictionary and suggestion index, built on first use, once per process.

    Building them takes seconds of CPU and they never change, so every engine of the process
    (a bot's extension reloaded, the tests' bots) reads the same ones.
    """
    with _LOADING:
        loaded = _DICTIONARIES.get(language)
        if loaded is None:
            log.info("loading pyspellchecker's %s dictionary and its suggestion index", language)
            checker = SpellChecker(language=language)
            loaded = _DICTIONARIES[language] = (checker, _suggestion_index(checker))
        return loaded


def _suggestion_index(checker: SpellChecker) -> SymSpell:
    """A SymSpell index of the dictionary's words common enough to suggest."""
    index = SymSpell(max_dictionary_edit_distance=MAX_EDIT_DISTANCE, prefix_length=PREFIX_LENGTH)
    for word, count in checker.word_frequency.dictionary.items():
        if count >= SUGGESTION_MIN_COUNT:
            index.create_dictionary_entry(word, count)
    return index


def _suggestions(index: SymSpell, word: str) -> tuple[str, ...]:
    """The known words closest to ``word``, most frequent first."""
    lowered = word.lower()
    found = index.lookup(lowered, Verbosity.CLOSEST, max_edit_distance=MAX_EDIT_DISTANCE)
    ranked = sorted((-item.count, item.term) for item in found if item.term != lowered)
    return unique_suggestions([term for _, term in ranked])
