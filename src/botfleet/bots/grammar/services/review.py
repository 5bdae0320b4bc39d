"""A member going through a check's issues: which one is shown, which ones they applied.

The corrected text is always computed from the checked text and the set of applied issues, never
by editing it step by step, so the offsets of the issues stay those the engines reported and
applying in any order gives the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from botfleet.bots.grammar.services.checker import CheckResult
from botfleet.bots.grammar.services.corrections import NoSuggestionError, apply_all
from botfleet.bots.grammar.services.issues import Issue
from botfleet.errors import UserError

ISSUES_PER_PAGE: Final = 5


class NothingToApplyError(UserError):
    def __init__(self) -> None:
        super().__init__("Every suggestion is applied already — the corrected text is shown.")


@dataclass(frozen=True, slots=True)
class Review:
    """The issues of one check, the one in focus, and those applied so far (by index)."""

    result: CheckResult
    current: int = 0
    applied: frozenset[int] = frozenset()

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self.result.issues

    @property
    def corrected_text(self) -> str:
        """The checked text with every applied suggestion in place."""
        chosen = [self.issues[index] for index in sorted(self.applied)]
        return apply_all(self.result.text, chosen).text

    @property
    def page(self) -> int:
        """The page of the list holding the issue in focus (from 0)."""
        return self.current // ISSUES_PER_PAGE

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.issues) // ISSUES_PER_PAGE))

    def page_issues(self) -> list[tuple[int, Issue]]:
        """The issues on the page in focus, with their indexes."""
        start = self.page * ISSUES_PER_PAGE
        return list(enumerate(self.issues))[start : start + ISSUES_PER_PAGE]

    def span_of(self, issue: Issue) -> str:
        """The words an issue is about, as written."""
        return self.result.text[issue.start : issue.end]

    def move(self, step: int) -> Review:
        """Focus the next (``step`` 1) or previous (-1) issue, wrapping around."""
        if not self.issues:
            return self
        return replace(self, current=(self.current + step) % len(self.issues))

    def pending(self) -> list[int]:
        """Indexes of issues with a suggestion not applied yet."""
        return [
            index
            for index, issue in enumerate(self.issues)
            if issue.suggestions and index not in self.applied
        ]

    def apply_current(self) -> Review:
        """Apply the suggestion of the issue in focus and move to the next one still open."""
        issue = self.issues[self.current]
        if not issue.suggestions:
            raise NoSuggestionError
        if self.current in self.applied:
            raise UserError("That suggestion is applied already — see the corrected text.")
        applied = self.applied | {self.current}
        later = [index for index in self.pending() if index > self.current]
        following = later[0] if later else self.current
        return replace(self, applied=applied, current=following)

    def apply_all(self) -> Review:
        """Apply every suggestion still open."""
        pending = self.pending()
        if not pending:
            raise NothingToApplyError
        return replace(self, applied=self.applied | frozenset(pending))
