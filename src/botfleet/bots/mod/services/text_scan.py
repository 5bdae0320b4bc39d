"""Automod's scans of a whole message: in C where the package could compile them (issue 13).

* The words a guild's word list found clean: a list remembers the folded words that matched
  none of its entries, so a message of words seen before is judged without reading any word
  again. Asking that of a long message was most of automod's cost: ``text.split()`` makes and
  hashes one object per word. The compiled table walks the text once and makes an object only
  for a word it does not hold.
* The capitals and small letters of a message (the caps rule), in one pass.
* ``needle in text`` for the rules' looks for "www.", "http" and the patterns' required words:
  Python's search walks a 2,000-character message in about a microsecond, memmem about three
  times faster.

``_text_scan`` is built with the package where a C compiler is (``setup.py``);
:class:`PyCleanWords`, :func:`py_ascii_cases` and :func:`operator.contains` are the same in
Python, used when it was not.
"""

from __future__ import annotations

import operator
import string
from collections.abc import Callable, Iterable
from typing import Final

_ALL_BUT_CAPITALS: Final = bytes(sorted(set(range(256)) - set(string.ascii_uppercase.encode())))
_ALL_BUT_SMALL: Final = bytes(sorted(set(range(256)) - set(string.ascii_lowercase.encode())))


class PyCleanWords:
    """Words known to match none of a list's entries, at most ``capacity`` of them."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be a positive number of words")
        self.capacity = capacity
        self._words: set[str] = set()

    def unseen(self, text: str, /) -> list[str]:
        """The words of ``text`` (split as ``str.split`` splits) not held, in order."""
        words = text.split()
        known = self._words
        if known.issuperset(words):  # chat repeats its words: most messages end here
            return []
        return [word for word in words if word not in known]

    def add(self, words: Iterable[str], /) -> None:
        """Keep these words, as many as the capacity leaves room for."""
        known = self._words
        for word in words:
            if len(known) >= self.capacity:
                return
            known.add(word)

    def clear(self) -> None:
        """Forget every word."""
        self._words.clear()

    def __len__(self) -> int:
        return len(self._words)


def py_ascii_cases(text: str) -> tuple[int, int]:
    """The capitals A-Z and the small letters a-z of ``text``.

    Counted in C by deleting every other byte (copying what is left costs most); in UTF-8 no
    other character has a byte in those ranges.
    """
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw.translate(None, _ALL_BUT_CAPITALS)), len(raw.translate(None, _ALL_BUT_SMALL))


CleanWords: type[PyCleanWords]
ascii_cases: Callable[[str], tuple[int, int]]
contains: Callable[[str, str], bool]
"""``contains(text, needle)``: whether ``needle in text``."""
try:
    from botfleet.bots.mod.services._text_scan import CleanWords, ascii_cases, contains
except ImportError:  # built without a C compiler: the same scans in Python
    CleanWords, ascii_cases, contains = PyCleanWords, py_ascii_cases, operator.contains

COMPILED = CleanWords is not PyCleanWords
"""Whether the compiled scans are in use (``botfleet doctor`` and the benchmark report it)."""
