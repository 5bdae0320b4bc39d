"""The words a guild's word list found clean, asked about a whole message at once.

A word list remembers the folded words that matched none of its entries, so a message of words
seen before is judged without reading any word again. Asking that of a long message is most of
automod's cost (issue 13): ``text.split()`` makes and hashes one object per word. The compiled
``_clean_words`` table (built with the package when a C compiler is there, see
``setup.py``) walks the text once and makes an object only for a word it does not hold;
:class:`PyCleanWords` is the same table in Python, used when the extension was not built.
"""

from __future__ import annotations

from collections.abc import Iterable


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


CleanWords: type[PyCleanWords]
try:
    from botfleet.bots.mod.services._clean_words import CleanWords
except ImportError:  # built without a C compiler: the same table in Python
    CleanWords = PyCleanWords

COMPILED = CleanWords is not PyCleanWords
"""Whether the compiled table is in use (``botfleet doctor`` and the benchmark report it)."""
