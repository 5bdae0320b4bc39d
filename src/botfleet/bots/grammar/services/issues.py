"""What an engine reports: an issue over a span of the checked text, and how strict to be."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Category(StrEnum):
    """The kind of mistake, shared by every engine so stats and filters read the same."""

    SPELLING = "spelling"
    GRAMMAR = "grammar"
    PUNCTUATION = "punctuation"
    CAPITALIZATION = "capitalization"
    WORD_CHOICE = "word_choice"
    STYLE = "style"

    @property
    def label(self) -> str:
        """The category as a member reads it."""
        return self.value.replace("_", " ").capitalize()


class Strictness(StrEnum):
    """How much an auto-check channel points out: relaxed channels hear only real mistakes.

    Capitalization is only pointed out when strict: chat is written in small letters a lot,
    and a note on every such message would be noise.
    """

    RELAXED = "relaxed"
    NORMAL = "normal"
    STRICT = "strict"

    def allows(self, category: Category) -> bool:
        """Whether issues of ``category`` are shown at this level."""
        return category in _CATEGORIES_BY_STRICTNESS[self]


_CATEGORIES_BY_STRICTNESS: dict[Strictness, frozenset[Category]] = {
    Strictness.RELAXED: frozenset({Category.SPELLING, Category.GRAMMAR}),
    Strictness.NORMAL: frozenset(
        {
            Category.SPELLING,
            Category.GRAMMAR,
            Category.PUNCTUATION,
            Category.WORD_CHOICE,
        }
    ),
    Strictness.STRICT: frozenset(Category),
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: ``text[start:end]`` (code points of the checked text) and how to fix it."""

    start: int
    end: int
    category: Category
    message: str
    """What is wrong, in one sentence."""
    suggestions: tuple[str, ...]
    """Replacements for the whole span, best first; empty when the engine has none."""
    explanation: str
    """Why it is wrong, short enough for an embed field."""
    engine: str
    rule: str
    """The engine's rule id, stable across runs (for stats and ignores)."""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"an issue needs 0 <= start <= end, got {self.start}..{self.end}")

    def overlaps(self, other: Issue) -> bool:
        """Whether both issues touch a common character (an empty span counts as its point)."""
        latest_start, earliest_end = max(self.start, other.start), min(self.end, other.end)
        if self.start == self.end or other.start == other.end:
            return latest_start <= earliest_end
        return latest_start < earliest_end

    def excerpt(self, text: str) -> str:
        """The flagged part of ``text``, the text the issue was found in."""
        return text[self.start : self.end]

    def moved_to(self, start: int, end: int) -> Issue:
        """The same issue over another span (after the text it was found in is mapped back)."""
        return replace(self, start=start, end=end)
