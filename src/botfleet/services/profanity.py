"""Finding profanity in what members type, and keeping it out of the word games' lists.

Matching is by whole words, after undoing what people do to slip past a filter: digits and
symbols for look-alike letters ("sh1t", "$hit"), accents, look-alike letters of other alphabets
and full-width forms, invisible characters, repeated letters ("fuuuck"), and letters spaced or
dotted apart ("f u c k", "f.u.c.k"). Matching whole words is what keeps "Scunthorpe",
"assess" and "classic" clean: a listed word must be the entire word, with one of the endings it
takes ("fucking") when it takes endings. Only a few roots that occur inside no innocent English
word are also found inside longer words ("motherfucker").

The lists are deliberately about swearing, sexual vulgarity and slurs. Mild words ("damn",
"hell") and words that are merely unsuitable for a game are left to each caller.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Final

__all__ = [
    "DEFAULT_FILTER",
    "ProfanityFilter",
    "ProfanityMatch",
    "contains_profanity",
    "find_profanity",
    "fold",
    "is_profane_word",
    "readings",
    "repeatable",
    "repeats_of",
    "squeeze",
]

WITH_ENDINGS: Final[frozenset[str]] = frozenset(
    {
        "bastard",
        "bitch",
        "bollock",
        "bullshit",
        "cunt",
        "dipshit",
        "fag",
        "faggot",
        "horseshit",
        "jizz",
        "kike",
        "nigga",
        "nigger",
        "piss",
        "shit",
        "slut",
        "spastic",
        "tranny",
        "twat",
        "wank",
        "wanker",
        "wetback",
        "whore",
    }
)
"""Words that stay profane with an ending: "shits", "shitty", "bitching", "whores"."""

EXACT: Final[frozenset[str]] = frozenset(
    {
        "arse",
        "arsehole",
        "ass",
        "asshat",
        "asshole",
        "assholes",
        "batshit",
        "bellend",
        "blowjob",
        "blowjobs",
        "boner",
        "clit",
        "cock",
        "cocksucker",
        "coon",
        "coons",
        "cum",
        "cumshot",
        "dick",
        "dickhead",
        "dicks",
        "dildo",
        "dildos",
        "dumbass",
        "dyke",
        "dykes",
        "gook",
        "gooks",
        "handjob",
        "jackass",
        "jerkoff",
        "knobhead",
        "milf",
        "paki",
        "pakis",
        "porn",
        "porno",
        "pussy",
        "raghead",
        "retard",
        "retarded",
        "retards",
        "shithead",
        "shitface",
        "smartass",
        "spic",
        "spics",
        "tits",
        "titties",
        "towelhead",
    }
)
"""Words profane only as they are: "cock" is, "cocked" and "cockpit" are not."""

EMBEDDED: Final[frozenset[str]] = frozenset({"fuck"})
"""Roots found even inside longer words; each is part of no innocent English word."""

ENDINGS: Final[tuple[str, ...]] = (
    "s",
    "es",
    "ed",
    "er",
    "ers",
    "ing",
    "ings",
    "in",
    "y",
    "ey",
    "ier",
    "iest",
    "ty",
    "head",
    "heads",
    "face",
    "hole",
    "holes",
    "bag",
    "bags",
)

_LEET: Final[dict[str, str]] = {
    "0": "o",
    "1": "il",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "il",
    "+": "t",
    "€": "e",
}
"""Digits and symbols written for letters; a few stand for two letters and both are tried."""

_HOMOGLYPHS: Final[dict[str, str]] = {
    "а": "a",
    "в": "b",
    "с": "c",
    "е": "e",
    "н": "h",
    "і": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "о": "o",
    "р": "p",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "һ": "h",
    "ӏ": "l",
    "ԁ": "d",
    "ԝ": "w",
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
}
"""Cyrillic and Greek letters that look like Latin ones (lowercase: text is casefolded first)."""

_INVISIBLE: Final = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_WORD: Final = re.compile(r"\S+")
_SEPARATOR: Final = re.compile(r"[^a-z]+")
_EDGE_PUNCTUATION: Final = re.compile(r"^[^a-z0-9]+|[^a-z0-9]+$")
_REPEATS: Final = re.compile(r"(.)\1+")
_RUNS: Final = re.compile(r"(.)\1*")
_DOUBLES: Final = tuple((letter * 2, letter) for letter in string.ascii_lowercase)

MAX_VARIANTS: Final = 16
"""Spellings tried per word when symbols stand for two letters ("1" is "i" or "l")."""

MAX_SPELLED_OUT: Final = 24
"""Longest run of single letters read as one word."""
ONE_LETTER_WORDS: Final = frozenset({"a", "i"})
"""English words of one letter, which may precede a spelled-out word in a sentence."""


@dataclass(frozen=True, slots=True)
class ProfanityMatch:
    """A profane word found in a text: where it is, and the word it was read as."""

    start: int
    end: int
    text: str
    """The text as the member typed it, from ``start`` to ``end``."""
    read_as: str
    """The word after normalising, as it matched the lists."""


def repeatable(term: str) -> str:
    """A pattern for ``term`` that also takes each letter repeated ("fuuuck" for "fuck")."""
    pattern = []
    for match in re.finditer(r"(.)\1*", term):
        letter, run = match.group(1), len(match.group(0))
        pattern.append(f"{re.escape(letter)}{{{run},}}")
    return "".join(pattern)


def squeeze(text: str) -> str:
    """``text`` with each run of one letter written once ("fuuuck" -> "fuck").

    For letters a-z (what readings are made of) by ``str.replace`` in C, letter by letter:
    a regex substitution calls back into Python for every doubled letter.
    """
    if _REPEATS.search(text) is None:  # the whole text of a short message, usually
        return text
    if not text.isascii():
        return _REPEATS.sub(r"\1", text)
    for double, single in _DOUBLES:
        while double in text:
            text = text.replace(double, single)
    return text


def _run_lengths(text: str) -> list[int]:
    return [len(run.group()) for run in _RUNS.finditer(text)]


def _long_enough(seen: Sequence[int], needed: Sequence[int]) -> bool:
    """Whether each run of letters seen is at least as long as the one needed there."""
    return all(have >= need for have, need in zip(seen, needed, strict=True))


def repeats_of(reading: str, form: str) -> bool:
    """Whether ``reading`` is ``form`` with some letters repeated ("fuuck" for "fuck"), as
    ``repeatable(form)`` fully matches it.

    Both squeeze to the same word, so their runs of letters pair up; each run of the reading
    must be at least as long as the form's ("as" is not "ass").
    """
    reading_runs, form_runs = _run_lengths(reading), _run_lengths(form)
    return len(reading_runs) == len(form_runs) and _long_enough(reading_runs, form_runs)


class _RepeatableWords:
    """Words matched with any letter repeated, as their ``repeatable`` patterns match.

    Looked up by squeezed form in a dict rather than by one alternation of every pattern:
    that regex of some 530 words took 2.4 MB to compile at import, and was tried branch by
    branch for each word read.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._runs_by_squeezed: dict[str, list[list[int]]] = {}
        for word in words:
            self._runs_by_squeezed.setdefault(squeeze(word), []).append(_run_lengths(word))

    def fullmatch(self, spelling: str) -> bool:
        """Whether ``spelling`` is one of the words, letters possibly repeated."""
        needed = self._runs_by_squeezed.get(squeeze(spelling))
        if needed is None:
            return False
        seen = _run_lengths(spelling)
        return any(_long_enough(seen, runs) for runs in needed)

    def search(self, spelling: str) -> bool:
        """Whether ``spelling`` holds one of the words, letters possibly repeated.

        Where a squeezed word stands in the squeezed spelling, the spelling's runs of letters
        must each be at least as long as the word's (a longer run at either edge holds the
        word's shorter one, as a regex search finds it).
        """
        if not self._runs_by_squeezed:
            return False
        runs = list(_RUNS.finditer(spelling))
        squeezed = "".join(run.group(1) for run in runs)
        seen = [len(run.group()) for run in runs]
        for word, needed in self._runs_by_squeezed.items():
            start = squeezed.find(word)
            while start != -1:
                here = seen[start : start + len(word)]
                if any(_long_enough(here, runs) for runs in needed):
                    return True
                start = squeezed.find(word, start + 1)
        return False


def _check_term(term: str) -> str:
    if re.fullmatch(r"[a-z]{2,}", term) is None:
        raise ValueError(f"profanity list entries are lowercase a-z words, got {term!r}")
    return term


def fold(text: str) -> str:
    """Casefold, drop accents and invisible characters, read look-alike letters as Latin."""
    if text.isascii():
        return text.lower()  # nothing else to undo, and most messages are ASCII
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(_HOMOGLYPHS.get(char, char) for char in without_marks)


def _spellings(word: str) -> list[str]:
    """The letter-only spellings a folded word may stand for, symbols read as letters."""
    choices = [_LEET.get(char, char) for char in word]
    ambiguous = sum(1 for choice in choices if len(choice) > 1)
    if 2**ambiguous <= MAX_VARIANTS:
        combinations = ["".join(letters) for letters in product(*choices)]
    else:
        combinations = [
            "".join(choice[index % len(choice)] for choice in choices) for index in (0, 1)
        ]
    return [_SEPARATOR.sub("", spelling) for spelling in combinations]


def _parts(word: str) -> list[str]:
    """A folded word split at punctuation that is not a letter stand-in ("well...shit")."""
    return [part for part in re.split(r"[^\w@$!|+€]+", word) if part]


def readings(folded_word: str) -> list[str]:
    """The letter-only words one folded word may be read as, the way the filter reads it.

    The whole word, the word without punctuation at its edges, and each part between other
    punctuation, each with its symbols read as the letters they stand for.
    """
    pieces = [folded_word, _EDGE_PUNCTUATION.sub("", folded_word), *_parts(folded_word)]
    return [spelling for piece in pieces for spelling in _spellings(piece)]


class ProfanityFilter:
    """Finds listed words in text however they are disguised; see the module's rules."""

    def __init__(
        self,
        *,
        with_endings: Iterable[str] = WITH_ENDINGS,
        exact: Iterable[str] = EXACT,
        embedded: Iterable[str] = EMBEDDED,
        allowed: Iterable[str] = (),
    ) -> None:
        """Build a filter from word lists (the defaults are the fleet's), minus ``allowed``.

        ``allowed`` words are never reported, e.g. a guild that is fine with "piss".
        """
        words = {_check_term(term) for term in exact}
        for stem in with_endings:
            words.add(_check_term(stem))
            words.update(stem + ending for ending in ENDINGS)
        roots = {_check_term(root) for root in embedded}
        self._allowed = frozenset(_check_term(word) for word in allowed)
        self._whole = _RepeatableWords(words)
        self._inside = _RepeatableWords(roots)

    def is_profane_word(self, word: str) -> bool:
        """Whether one word (from a word list, a name, a guess) is profane."""
        return any(self._matches(spelling) for spelling in _spellings(fold(word.strip())))

    def contains_profanity(self, text: str) -> bool:
        """Whether ``text`` contains a profane word anywhere."""
        return next(self._scan(text), None) is not None

    def find(self, text: str) -> list[ProfanityMatch]:
        """Every profane word of ``text``, in order, with its place in the original text."""
        return list(self._scan(text))

    def _matches(self, spelling: str) -> bool:
        if not spelling or spelling in self._allowed:
            return False
        return self._whole.fullmatch(spelling) or self._inside.search(spelling)

    def _reading(self, word: str) -> str | None:
        """The profane reading of one typed word, or None: whole, trimmed, then its parts."""
        candidates = readings(fold(word))
        return next((spelling for spelling in candidates if self._matches(spelling)), None)

    def _scan(self, text: str) -> Iterator[ProfanityMatch]:
        letters: list[re.Match[str]] = []
        for word in _WORD.finditer(text):
            folded = fold(word.group())
            if len(folded) == 1 and folded.isalpha():
                letters.append(word)
                continue
            yield from self._spelled_out(text, letters)
            letters = []
            reading = self._reading(word.group())
            if reading is not None:
                yield ProfanityMatch(word.start(), word.end(), word.group(), reading)
        yield from self._spelled_out(text, letters)

    def _spelled_out(self, text: str, letters: list[re.Match[str]]) -> Iterator[ProfanityMatch]:
        """A listed word spelled out as the whole run of single letters ("f u c k").

        Only the whole run counts (after a leading one-letter word: "you a f u c k"), never a
        part of it, so an innocent word typed letter by letter ("a r s e n a l", "a s s e s s")
        is not read as the listed word it happens to start with.
        """
        if len(letters) < 2:
            return
        starts = [0]
        if fold(letters[0].group()) in ONE_LETTER_WORDS:
            starts.append(1)
        for start in starts:
            run = letters[start:]
            if not 2 <= len(run) <= MAX_SPELLED_OUT:
                continue
            joined = "".join(fold(letter.group()) for letter in run)
            if self._is_listed(joined):
                first, last = run[0].start(), run[-1].end()
                yield ProfanityMatch(first, last, text[first:last], joined)
                return

    def _is_listed(self, spelling: str) -> bool:
        """Whether ``spelling`` is exactly a listed word (an embedded root counts alone)."""
        if spelling in self._allowed:
            return False
        return self._whole.fullmatch(spelling) or self._inside.fullmatch(spelling)


DEFAULT_FILTER: Final = ProfanityFilter()
"""The fleet's filter, with the default lists."""


def contains_profanity(text: str) -> bool:
    """Whether ``text`` contains a profane word, by the fleet's default lists."""
    return DEFAULT_FILTER.contains_profanity(text)


def find_profanity(text: str) -> list[ProfanityMatch]:
    """The profane words of ``text``, by the fleet's default lists."""
    return DEFAULT_FILTER.find(text)


def is_profane_word(word: str) -> bool:
    """Whether one word is profane, by the fleet's default lists."""
    return DEFAULT_FILTER.is_profane_word(word)
