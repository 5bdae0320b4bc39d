"""A guild's word list, compiled once into an Aho–Corasick automaton over normalised text.

Messages are read the way the fleet's profanity filter reads them
(:mod:`botfleet.services.profanity`): folded (case, accents, look-alike letters), each word
also read without edge punctuation, split at inner punctuation, and with symbols read as
letters ("sh1t", "$hit"). Each reading then has its repeated letters squeezed ("fuuuck" ->
"fuck"), and one automaton pass over all the squeezed readings finds candidate words; a
candidate is confirmed against the unsqueezed reading, so "as" is not read as "ass". Whether
a word matches depends on that word alone, so each list remembers the words that matched
nothing: a message of words seen before is judged in one pass over its text, and the pass reads
only the words not seen before (:mod:`text_scan`: one pass in C where it was compiled).

Entries are matched as whole words unless marked:

* ``word``: the word alone ("ass" matches "a$$", never "assess" or "classic");
* ``word*``: the word with the endings the profanity filter knows ("shits", "shitty");
* ``*word*``: the word anywhere, also inside longer words ("motherfucker").
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Final

import ahocorasick

from botfleet.bots.mod.services.text_scan import CleanWords
from botfleet.errors import UserError
from botfleet.services.profanity import (
    EMBEDDED,
    ENDINGS,
    EXACT,
    WITH_ENDINGS,
    fold,
    readings,
    repeats_of,
    squeeze,
)
from botfleet.services.profanity import repeatable as repeatable_pattern

MAX_ENTRY_LENGTH: Final = 40
MAX_ENTRIES: Final = 2000
"""Entries one guild's list may hold (the benchmark measures 1,000)."""

READINGS_CACHE_SIZE: Final = 65_536
"""Distinct words whose readings and squeezed forms are kept: chat repeats its words."""
CLEAN_WORDS_KEPT: Final = 2048
"""Folded words one list remembers as matching none of its entries (forgotten all at once
when full: about 310 KB per guild with a word rule when full, by tracemalloc, 240 KB in the
Python table; the compiled table starts at 64 slots and grows as it fills)."""

_ENTRY: Final = re.compile(rf"(\*?)([a-z]{{2,{MAX_ENTRY_LENGTH}}})(\*?)")


class Placement(Enum):
    """Where a listed word may stand in a word of the message."""

    WHOLE = "whole"
    EMBEDDED = "embedded"


class InvalidWordEntryError(UserError):
    """A word-list entry that cannot be matched; the message shows the accepted forms."""


@dataclass(frozen=True, slots=True)
class _Listed:
    entry: str
    """As the moderator wrote it, for the verdict."""
    form: str
    """The word (or word and ending) as listed."""
    placement: Placement
    inside: re.Pattern[str] | None
    """For an embedded word: the form with its letters repeatable, searched in the reading."""

    def confirms(self, reading: str) -> bool:
        """Whether the reading the automaton pointed at really holds the form."""
        if self.inside is not None:
            return self.inside.search(reading) is not None
        return repeats_of(reading, self.form)


def parse_entry(entry: str) -> tuple[str, Placement, bool]:
    """Read one entry: its word, where it may stand, whether endings are taken."""
    match = _ENTRY.fullmatch(entry.strip().casefold())
    if match is None:
        raise InvalidWordEntryError(
            f"“{entry[:MAX_ENTRY_LENGTH]}” can't be a filter word: use 2 to {MAX_ENTRY_LENGTH} "
            "letters a-z, as `word` (the word alone), `word*` (with endings such as -s, -ing) "
            "or `*word*` (also inside longer words)."
        )
    leading, word, trailing = match.groups()
    if leading and trailing:
        return word, Placement.EMBEDDED, False
    if leading:
        raise InvalidWordEntryError(
            f"“{entry}”: a star goes after the word (`{word}*`) or on both sides (`*{word}*`)."
        )
    return word, Placement.WHOLE, bool(trailing)


def fleet_entries() -> list[str]:
    """The fleet's profanity lists written as entries."""
    return [
        *sorted(EXACT),
        *(f"{word}*" for word in sorted(WITH_ENDINGS)),
        *(f"*{root}*" for root in sorted(EMBEDDED)),
    ]


@functools.lru_cache(maxsize=READINGS_CACHE_SIZE)
def _readings(token: str) -> tuple[str, ...]:
    if token.isascii() and token.isalpha():
        return (token,)  # what the readings of a plain word come to, without working them out
    return tuple(dict.fromkeys(reading for reading in readings(token) if reading))


@functools.lru_cache(maxsize=READINGS_CACHE_SIZE)
def _segment(token: str) -> str:
    """The squeezed readings of one folded word, space-separated: its part of the haystack."""
    return " ".join(map(squeeze, _readings(token)))


class WordFilter:
    """One guild's compiled word list; build it once per change of the list."""

    def __init__(self, entries: Iterable[str]) -> None:
        listed = list(dict.fromkeys(entry.strip().casefold() for entry in entries))
        if len(listed) > MAX_ENTRIES:
            raise InvalidWordEntryError(
                f"A word list holds {MAX_ENTRIES} entries at most; this one has {len(listed)}."
            )
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[_Listed]] = {}
        for entry in listed:
            word, placement, with_endings = parse_entry(entry)
            forms = [word, *(word + ending for ending in ENDINGS)] if with_endings else [word]
            for form in forms:
                if placement is Placement.EMBEDDED:
                    key, inside = squeeze(form), re.compile(repeatable_pattern(form))
                else:  # between the spaces that separate readings: only whole words are found
                    key, inside = f" {squeeze(form)} ", None
                by_key.setdefault(key, []).append(_Listed(entry, form, placement, inside))
        for key, candidates in by_key.items():
            self._automaton.add_word(key, (key, tuple(candidates)))
        self._empty = not by_key
        if not self._empty:
            self._automaton.make_automaton()
        self._clean = CleanWords(CLEAN_WORDS_KEPT)
        """Folded words known to match no entry: whether a word matches depends on it alone."""

    def find(self, text: str) -> str | None:
        """The first entry ``text`` contains, as the moderator wrote it, or None."""
        return self.find_folded(fold(text))

    def find_folded(self, folded: str) -> str | None:
        """:meth:`find` for a text already folded (automod folds each message once)."""
        if self._empty:
            return None
        clean = self._clean
        unseen = clean.unseen(folded)  # chat repeats its words: most messages end here
        if not unseen:
            return None
        unseen = list(dict.fromkeys(unseen))
        found = self._first_in(unseen)  # the words remembered as clean can't hold it
        if found is None:
            if len(clean) + len(unseen) > CLEAN_WORDS_KEPT:
                clean.clear()
            clean.add(unseen)
        return found

    def _first_in(self, tokens: list[str]) -> str | None:
        """The first entry the folded words contain, in one pass of the automaton."""
        # Every word's readings in one string, each word's cached.
        haystack = " " + " ".join(filter(None, map(_segment, tokens))) + " "
        readings: list[str] | None = None
        hit: tuple[int, tuple[str, tuple[_Listed, ...]]]
        for hit in self._automaton.iter(haystack):
            end, (key, candidates) = hit
            if readings is None:  # a candidate: now list the readings the haystack was made of
                readings = list(itertools.chain.from_iterable(map(_readings, tokens)))
            # The reading holding the hit: as many spaces precede its last letter as its rank.
            last_letter = end - 1 if key.endswith(" ") else end
            reading = readings[haystack.count(" ", 0, last_letter) - 1]
            for listed in candidates:
                if listed.confirms(reading):
                    return listed.entry
        return None
