"""The Harper engine: offline English grammar and spelling rules, no Java, about a ms a sentence.

Building Harper's linter loads its curated dictionary, a second of CPU, and its first
misspelling builds the suggester, another second, so each dialect's linter is built and warmed
up once in a worker thread and reused. A linter refuses calls from two threads at
once, so every call holds one lock; checks run in a worker thread, never on the event loop.
Text is linted as Markdown, which is what Discord messages are, so code is left alone.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Final

import harper

from botfleet.bots.grammar.services.engine import base_language, unique_suggestions
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.bots.grammar.services.rules import simple_past_forms
from botfleet.bots.grammar.services.text import looks_like_code, looks_like_name
from botfleet.bots.grammar.services.vocabulary import KNOWN_WORDS, TECH_WORDS

log = logging.getLogger(__name__)

DIALECTS: Final = {
    "en": harper.Dialect.AMERICAN,
    "en-US": harper.Dialect.AMERICAN,
    "en-GB": harper.Dialect.BRITISH,
    "en-AU": harper.Dialect.AUSTRALIAN,
    "en-CA": harper.Dialect.CANADIAN,
    "en-IN": harper.Dialect.INDIAN,
}
"""The English variants Harper knows; another region of English falls back to American."""

CATEGORIES: Final = {
    "Spelling": Category.SPELLING,
    "Typo": Category.SPELLING,
    "BoundaryError": Category.SPELLING,
    "Agreement": Category.GRAMMAR,
    "Grammar": Category.GRAMMAR,
    "Miscellaneous": Category.GRAMMAR,
    "Repetition": Category.GRAMMAR,
    "Punctuation": Category.PUNCTUATION,
    "Capitalization": Category.CAPITALIZATION,
    "WordChoice": Category.WORD_CHOICE,
    "Eggcorn": Category.WORD_CHOICE,
    "Malapropism": Category.WORD_CHOICE,
    "Usage": Category.WORD_CHOICE,
    "Nonstandard": Category.WORD_CHOICE,
}
"""Harper's lint kinds; the others (style, formatting, redundancy...) count as style."""

STYLE_RULES: Final = frozenset({"OkToOkay"})
"""Rules Harper files under a stronger kind that are only a matter of taste in chat."""
AGREEMENT_RULE: Final = "PronounVerbAgreement"
"""Harper's subject-verb agreement, which takes some irregular past forms for present ones
("he lent", "she froze"; a past form agrees with every subject) and the noun of "you guys
should" for a verb; those findings are dropped."""
POSSESSIVE_RULE: Final = "PossessiveYour"
"""Harper's "you" for "your", which reads "you two are late" as "your two"."""
GROUP_SIZES: Final = frozenset(
    ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "both"]
)
"""Words after which "you" addresses a group ("you two") rather than owning something."""
AUXILIARIES: Final = frozenset(
    [
        "are",
        "were",
        "have",
        "had",
        "do",
        "did",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "need",
    ]
)
"""Verbs that follow the noun of "you guys": "you guys should come"."""
_NEXT_WORD: Final = re.compile(r"\W*(\w+)")
_LAST_WORD: Final = re.compile(r"(\w+)\W*$")
MERGE_RULES: Final = frozenset({"MergeWords", "CompoundNouns"})
"""Harper's "write these two words as one", which our technical vocabulary (imported into
Harper's dictionary) would fire on "log file" or "cron job": those are written both ways."""
MAX_EXPLANATION: Final = 200
WARM_UP_TEXT: Final = "Teh fox jumsp over the dog. He don't care, and they was happy about it."
"""Linted once when a linter is built: Harper builds its spelling suggester and some rules'
tables on first use (a second of CPU), which would otherwise fall on a member's message."""


def _explanation(description: str) -> str:
    """The first sentence of a rule's description, short enough for an embed field."""
    first = description.strip().split("\n", 1)[0]
    if len(first) <= MAX_EXPLANATION:
        return first
    return first[: MAX_EXPLANATION - 1].rstrip() + "…"


def _replacement(lint: harper.Lint, suggestion: harper.Suggestion) -> str:
    """A suggestion as the text that replaces the whole flagged span."""
    if suggestion.kind == harper.SuggestionKind.REMOVE:
        return ""
    if suggestion.kind == harper.SuggestionKind.INSERT_AFTER:
        return lint.problem_text + suggestion.replacement_text
    return suggestion.replacement_text


def _harmless(rule: str, text: str, lint: harper.Lint) -> bool:
    """Whether a finding is one of the Harper mistakes we know (see the rules named above)."""
    flagged = lint.problem_text.lower()
    after = _NEXT_WORD.match(text, lint.span.end)
    next_word = after.group(1).lower() if after else ""
    if rule == AGREEMENT_RULE:
        before = _LAST_WORD.search(text, 0, lint.span.start)
        after_you = before is not None and before.group(1).lower() == "you"
        return flagged in simple_past_forms() or (after_you and next_word in AUXILIARIES)
    if rule == POSSESSIVE_RULE:
        return flagged == "you" and next_word in GROUP_SIZES
    if rule in MERGE_RULES:
        return any(s.replacement_text.lower() in TECH_WORDS for s in lint.suggestions)
    return False


class _Linter:
    """One dialect's linter, its rule descriptions, and which rules are only style in chat."""

    def __init__(self, dialect: harper.Dialect) -> None:
        self.linter = harper.Linter(dialect)
        self.linter.import_words(sorted(KNOWN_WORDS))
        descriptions = self.linter.get_lint_descriptions()
        self.explanations = {rule: _explanation(text) for rule, text in descriptions.items()}
        self.style_rules = STYLE_RULES | {
            rule for rule, text in descriptions.items() if "initialism" in text.lower()
        }
        self.linter.organized_lints(WARM_UP_TEXT, language=harper.Language.MARKDOWN)


class HarperEngine:
    """Harper's rules for English, in its American, British and other dialects."""

    name = "harper"

    def __init__(self, default_language: str = "en-US") -> None:
        self._default_language = default_language
        self._linters: dict[harper.Dialect, _Linter] = {}
        self._lock = threading.Lock()

    def supports(self, language: str) -> bool:
        return base_language(language) == "en"

    async def start(self) -> None:
        await asyncio.to_thread(self._linter, DIALECTS.get(self._default_language))

    async def check(self, text: str, language: str) -> list[Issue]:
        return await asyncio.to_thread(self.check_in_thread, text, language)

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        return self._check(text, DIALECTS.get(language))

    async def close(self) -> None:
        """Nothing to release: the linters are plain memory."""

    def _linter(self, dialect: harper.Dialect | None) -> _Linter:
        """The linter of ``dialect``, built on first use (under the lock, so only once)."""
        wanted = dialect if dialect is not None else harper.Dialect.AMERICAN
        with self._lock:
            built = self._linters.get(wanted)
            if built is None:
                log.info("building Harper's %s linter", wanted.name.lower())
                built = self._linters[wanted] = _Linter(wanted)
            return built

    def _check(self, text: str, dialect: harper.Dialect | None) -> list[Issue]:
        linter = self._linter(dialect)
        with self._lock:
            lints_by_rule = linter.linter.organized_lints(text, language=harper.Language.MARKDOWN)
        issues = []
        for rule, lints in sorted(lints_by_rule.items()):
            for lint in lints:
                category = CATEGORIES.get(lint.lint_kind, Category.STYLE)
                if rule in linter.style_rules:
                    category = Category.STYLE
                start, end = lint.span.start, lint.span.end
                if looks_like_code(text, start, end):
                    continue  # an identifier or a version, not prose
                if category is Category.SPELLING and looks_like_name(text, start, end):
                    continue
                if _harmless(rule, text, lint):
                    continue
                issues.append(
                    Issue(
                        start=start,
                        end=end,
                        category=category,
                        message=lint.message,
                        suggestions=unique_suggestions(
                            [_replacement(lint, suggestion) for suggestion in lint.suggestions]
                        ),
                        explanation=linter.explanations.get(rule, lint.lint_kind_pretty),
                        engine=self.name,
                        rule=rule,
                    )
                )
        return sorted(issues, key=lambda issue: (issue.start, issue.end, issue.rule))
