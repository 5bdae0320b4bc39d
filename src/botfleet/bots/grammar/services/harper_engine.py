"""The Harper engine: offline English grammar and spelling rules, no Java, about a ms a sentence.

Building Harper's linter loads its curated dictionary, a second of CPU, so each dialect's
linter is built once in a worker thread and reused (the grammar checker warms it up in the
thread it checks in: Harper builds a spelling suggester per thread). A linter refuses calls
from two threads at once, so every call holds one lock; checks run in a worker thread, never
on the event loop.
Text is linted as Markdown, which is what Discord messages are, so code is left alone.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable
from typing import Final

import harper

from botfleet.bots.grammar.services.engine import base_language, unique_suggestions
from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.bots.grammar.services.rules import simple_past_forms
from botfleet.bots.grammar.services.text import (
    looks_like_code,
    looks_like_name,
    overlaps_any,
    protected_spans,
)
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

SPELLING_RULE: Final = "SpellCheck"
"""Harper's dictionary check, run apart on the words worth spelling (see ``_misspellings``)."""
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
_SPELLED_WORD: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NEXT_WORD: Final = re.compile(r"\W*(\w+)")
_LAST_WORD: Final = re.compile(r"(\w+)\W*$")
MERGE_RULES: Final = frozenset({"MergeWords", "CompoundNouns"})
"""Harper's "write these two words as one", which our technical vocabulary (imported into
Harper's dictionary) would fire on "log file" or "cron job": those are written both ways."""
MAX_EXPLANATION: Final = 200


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


def _harmless(rule: str, text: str, start: int, end: int, lint: harper.Lint) -> bool:
    """Whether a finding is one of the Harper mistakes we know (see the rules named above)."""
    flagged = text[start:end].lower()
    after = _NEXT_WORD.match(text, end)
    next_word = after.group(1).lower() if after else ""
    if rule == AGREEMENT_RULE:
        before = _LAST_WORD.search(text, 0, start)
        after_you = before is not None and before.group(1).lower() == "you"
        return flagged in simple_past_forms() or (after_you and next_word in AUXILIARIES)
    if rule == POSSESSIVE_RULE:
        return flagged == "you" and next_word in GROUP_SIZES
    if rule in MERGE_RULES:
        return any(s.replacement_text.lower() in TECH_WORDS for s in lint.suggestions)
    return False


TypoCheck = Callable[[str], bool]
"""Whether a word could be a typo of a known word (some lie within two edits of it)."""


def _misspellings(
    speller: harper.Linter, text: str, could_be_typo: TypoCheck | None
) -> list[tuple[str, harper.Lint, int, int]]:
    """Harper's spelling findings on the words of ``text`` a spell check should judge.

    Harper's suggester costs 10-30 ms for a word it finds no close match for, which a name
    ("Oluwaseun"), a tool ("kubeadm") or keyboard mash often is: more than the rest of a
    check. Names, code and the insides of links and code spans are dropped anyway, and so are
    words no known word lies near (``could_be_typo``, a SymSpell lookup well under a
    millisecond): no suggestion could mend them. Only the other words are spelled, as one line
    mapped back to the text.
    """
    skipped = protected_spans(text)
    words = [
        (match.start(), match.end())
        for match in _SPELLED_WORD.finditer(text)
        if not overlaps_any(match.start(), match.end(), skipped)
        and not looks_like_name(text, match.start(), match.end())
        and not looks_like_code(text, match.start(), match.end())
        and (could_be_typo is None or could_be_typo(match.group()))
    ]
    if not words:
        return []
    line = " ".join(text[start:end] for start, end in words)
    origins = []  # where each word starts in the line, and in the text
    offset = 0
    for start, end in words:
        origins.append((offset, start))
        offset += end - start + 1
    found = []
    lints = speller.organized_lints(line, language=harper.Language.PLAINTEXT).get(SPELLING_RULE)
    for lint in lints or ():
        in_line, in_text = max(o for o in origins if o[0] <= lint.span.start)
        shift = in_text - in_line
        found.append((SPELLING_RULE, lint, lint.span.start + shift, lint.span.end + shift))
    return found


class _Linter:
    """One dialect's linter, its rule descriptions, and which rules are only style in chat."""

    def __init__(self, dialect: harper.Dialect) -> None:
        self.linter = harper.Linter(dialect)
        self.linter.import_words(sorted(KNOWN_WORDS))
        rules = self.linter.get_lint_config()
        self.linter.set_lint_config({**rules, SPELLING_RULE: False})
        self.speller = harper.Linter(dialect)
        self.speller.import_words(sorted(KNOWN_WORDS))
        self.speller.set_lint_config({rule: rule == SPELLING_RULE for rule in rules})
        descriptions = self.linter.get_lint_descriptions()
        self.explanations = {rule: _explanation(text) for rule, text in descriptions.items()}
        self.style_rules = STYLE_RULES | {
            rule for rule, text in descriptions.items() if "initialism" in text.lower()
        }
        simple_past_forms()  # read the rules file now: on a check it would cost that check 0.2 s


class HarperEngine:
    """Harper's rules for English, in its American, British and other dialects."""

    name = "harper"

    def __init__(
        self, default_language: str = "en-US", *, could_be_typo: TypoCheck | None = None
    ) -> None:
        self._default_language = default_language
        self.could_be_typo = could_be_typo
        """Words it says no are not spelled (a dictionary's; None: every word is)."""
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
            found = [
                (rule, lint, lint.span.start, lint.span.end)
                for rule, lints in lints_by_rule.items()
                for lint in lints
            ]
            found += _misspellings(linter.speller, text, self.could_be_typo)
        issues = []
        for rule, lint, start, end in sorted(found, key=lambda item: (item[0], item[2])):
            category = CATEGORIES.get(lint.lint_kind, Category.STYLE)
            if rule in linter.style_rules:
                category = Category.STYLE
            if looks_like_code(text, start, end):
                continue  # an identifier or a version, not prose
            if _harmless(rule, text, start, end, lint):
                continue
            if category is Category.SPELLING and looks_like_name(text, start, end):
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
