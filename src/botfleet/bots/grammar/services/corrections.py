"""Applying suggestions: one issue's, or every issue's first, to produce the corrected text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from botfleet.bots.grammar.services.issues import Issue
from botfleet.errors import UserError


class NoSuggestionError(UserError):
    """An issue without a replacement to apply."""

    def __init__(self) -> None:
        super().__init__("There is no suggestion to apply for this one — fix it by hand.")


@dataclass(frozen=True, slots=True)
class Corrected:
    """The text after corrections, and which issues were applied or left as they are."""

    text: str
    applied: tuple[Issue, ...]
    skipped: tuple[Issue, ...]
    """Issues without a suggestion, or overlapping one applied before them."""


def _check_span(text: str, issue: Issue) -> None:
    if issue.end > len(text):
        raise ValueError(
            f"issue {issue.rule} spans {issue.start}..{issue.end} past a text of {len(text)}"
        )


def apply_suggestion(text: str, issue: Issue, choice: int = 0) -> str:
    """``text`` with ``issue``'s span replaced by its suggestion number ``choice``."""
    _check_span(text, issue)
    if not issue.suggestions:
        raise NoSuggestionError
    if not 0 <= choice < len(issue.suggestions):
        raise UserError("That suggestion is not on the list any more — check the text again.")
    return text[: issue.start] + issue.suggestions[choice] + text[issue.end :]


def apply_all(text: str, issues: Iterable[Issue]) -> Corrected:
    """``text`` with the first suggestion of every issue that has one, where none overlap.

    Issues are applied from the end of the text backwards, so the offsets of those before
    stay valid; of two overlapping issues the one starting first wins.
    """
    ordered = sorted(issues, key=lambda issue: (issue.start, issue.end))
    chosen: list[Issue] = []
    skipped: list[Issue] = []
    for issue in ordered:
        _check_span(text, issue)
        if not issue.suggestions or (chosen and issue.overlaps(chosen[-1])):
            skipped.append(issue)
        else:
            chosen.append(issue)
    corrected = text
    for issue in reversed(chosen):
        corrected = corrected[: issue.start] + issue.suggestions[0] + corrected[issue.end :]
    return Corrected(corrected, tuple(chosen), tuple(skipped))
