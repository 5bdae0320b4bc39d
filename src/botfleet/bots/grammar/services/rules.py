"""Pattern rules written as data (``data/rules.yaml``), matched on part-of-speech tagged tokens.

In the spirit of LanguageTool's pattern rules: a rule is a short sequence of token conditions
(the word, its lemma, its Penn Treebank tag), the tokens it marks, a message, suggestions, and
examples that must and must not match (the test suite runs them all). This module knows nothing
of the tagger: it matches :class:`Token` lists, so the rules are tested on their own.

**Conditions** of a pattern token, all of which must hold: ``text`` (the word in small letters,
or a list), ``lemma``, ``tag`` (a tag, or a list; ``NN*`` is any tag starting ``NN``),
``also_text`` (words that pass the tag and lemma conditions whatever their tag), the
negations ``not_text``, ``not_tag`` and ``not_lemma``, and ``end`` (the end of a sentence:
``.``, ``!``, ``?`` or the end of the text; the pseudo-tag ``END`` in a ``tag`` list also lets
the text end there). ``optional: true`` lets the token be missing.
A rule with ``sentence_start: true`` matches only at the start of a sentence.

**Suggestions** replace the marked tokens (``mark: [first, last]``, pattern positions, the whole
match by default) and may quote the matched tokens: ``{2}`` is the text of token 2, ``{1-3}``
the text from token 1 to token 3, and ``{2.subject}``, ``{2.object}``, ``{2.base}``,
``{2.past}``, ``{2.participle}``, ``{2.plural}``, ``{2.singular}``, ``{2.plural_verb}`` (is: are),
``{2.singular_verb}`` (are: is) or ``{0.as:take}`` (the verb *take* in token 0's form) transform
it with the tables of the same file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from botfleet.bots.grammar.services.issues import Category, Issue
from botfleet.errors import BotfleetError

RULES_FILE: Final = Path(__file__).parent.parent / "data" / "rules.yaml"
SENTENCE_END: Final = frozenset({".", "!", "?"})
END_TAG: Final = "END"
"""A tag no word has: in a token's ``tag`` list it also lets the text end there."""
PLURAL_VERBS: Final = {"is": "are", "was": "were", "has": "have", "does": "do", "'s": "are"}
SINGULAR_VERBS: Final = {"are": "is", "were": "was", "have": "has", "do": "does", "'re": "is"}
CONDITIONS: Final = frozenset(
    {"text", "lemma", "tag", "also_text", "not_text", "not_lemma", "not_tag", "end", "optional"}
)
CONTRACTED: Final = {"ca": "can", "wo": "will", "sha": "shall"}
"""The first half of can't, won't and shan't as the tagger splits them (ca + n't)."""
RULE_KEYS: Final = frozenset(
    {"id", "category", "message", "explanation", "pattern", "mark", "suggestions"}
    | {"sentence_start", "examples"}
)
_PLACEHOLDER: Final = re.compile(r"\{(\d+)(?:-(\d+))?(?:\.(\w+)(?::(\w+))?)?\}")
_RULE_ID: Final = re.compile(r"^[A-Z][A-Z0-9_]*$")
_WORD: Final = re.compile(r"n't|'[a-z]+|[a-z]+(?=n't)|[a-z]+")


class RuleError(BotfleetError):
    """The rules file is malformed; the message names the rule and what is wrong."""


@dataclass(frozen=True, slots=True)
class Token:
    """A word or punctuation mark of the checked text, as the tagger saw it."""

    text: str
    start: int
    end: int
    tag: str
    lemma: str

    @property
    def lower(self) -> str:
        """The word in small letters, with ' for ’ and can for the ca of can't."""
        lowered = self.text.lower().replace("’", "'")
        return CONTRACTED.get(lowered, lowered)


def _words(value: object, rule: str, key: str) -> frozenset[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RuleError(f"rule {rule}: {key} must be a word or a list of words")
    return frozenset(v.lower() for v in values)


@dataclass(frozen=True, slots=True)
class Condition:
    """What one token of a pattern must be."""

    texts: frozenset[str] | None = None
    lemmas: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    also_texts: frozenset[str] = frozenset()
    """Words that meet the tag and lemma conditions whatever the tagger said (was, for VBZ)."""
    not_texts: frozenset[str] = frozenset()
    not_lemmas: frozenset[str] = frozenset()
    not_tags: frozenset[str] = frozenset()
    end: bool = False
    optional: bool = False

    @classmethod
    def parse(cls, raw: object, rule: str) -> Condition:
        if not isinstance(raw, dict) or not raw:
            raise RuleError(f"rule {rule}: each pattern token must be a mapping of conditions")
        unknown = set(raw) - CONDITIONS
        if unknown:
            raise RuleError(f"rule {rule}: unknown token conditions {sorted(unknown)}")

        def words(key: str) -> frozenset[str] | None:
            return _words(raw[key], rule, key) if key in raw else None

        raw_tags, raw_not_tags = words("tag"), words("not_tag")
        tags = None if raw_tags is None else frozenset(t.upper() for t in raw_tags)
        not_tags = frozenset(t.upper() for t in raw_not_tags or ())
        return cls(
            texts=words("text"),
            lemmas=words("lemma"),
            tags=tags,
            also_texts=words("also_text") or frozenset(),
            not_texts=words("not_text") or frozenset(),
            not_lemmas=words("not_lemma") or frozenset(),
            not_tags=not_tags,
            end=bool(raw.get("end", False)),
            optional=bool(raw.get("optional", False)),
        )

    def matches(self, token: Token | None) -> bool:
        """Whether ``token`` (None past the end of the text) meets every condition."""
        if token is None:
            ends = self.end or (self.tags is not None and END_TAG in self.tags)
            return ends and self.texts is None and self.lemmas is None
        if self.end and token.lower not in SENTENCE_END:
            return False
        lower, lemma = token.lower, token.lemma.lower()
        if self.texts is not None and lower not in self.texts:
            return False
        if lower not in self.also_texts:
            if self.lemmas is not None and lemma not in self.lemmas:
                return False
            if self.tags is not None and not _tag_in(token.tag, self.tags):
                return False
        return not (
            lower in self.not_texts or lemma in self.not_lemmas or _tag_in(token.tag, self.not_tags)
        )


def _tag_in(tag: str, tags: frozenset[str]) -> bool:
    return tag in tags or any(t.endswith("*") and tag.startswith(t[:-1]) for t in tags)


@dataclass(frozen=True, slots=True)
class Tables:
    """Word tables the suggestions transform with: pronoun cases and irregular verbs."""

    subject: Mapping[str, str]
    object: Mapping[str, str]
    past: Mapping[str, str]
    """Base form of each irregular past form (went: go)."""
    participle: Mapping[str, str]
    """Past participle of each irregular base form (go: gone)."""
    simple_past: Mapping[str, str]
    """Simple past of each irregular base form (go: went)."""
    singular: Mapping[str, str]
    plural: Mapping[str, str]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Tables:
        verbs: dict[str, list[str]] = raw.get("irregular_verbs", {})
        past: dict[str, str] = {}
        for base, forms in verbs.items():
            past.setdefault(forms[0], base)
            past.setdefault(forms[1], base)
        return cls(
            subject=raw.get("subject_pronouns", {}),
            object={s.lower(): obj for obj, s in raw.get("subject_pronouns", {}).items()},
            past=past,
            participle={base: forms[1] for base, forms in verbs.items()},
            simple_past={base: forms[0] for base, forms in verbs.items()},
            singular=raw.get("plural_nouns", {}),
            plural=raw.get("irregular_plurals", {}),
        )

    def base(self, token: Token) -> str:
        return self.past.get(token.lower) or token.lemma.lower()

    def transform(self, token: Token, how: str, argument: str | None) -> str:
        word = token.lower
        if how == "subject":
            return self.subject.get(word, "I" if word == "i" else word)
        if how == "object":
            return self.object.get(word, word)
        if how == "base":
            return self.base(token)
        if how == "participle":
            base = self.base(token)
            return self.participle.get(base) or regular_past(base)
        if how == "past":
            base = self.base(token)
            return self.simple_past.get(base) or regular_past(base)
        if how == "plural_verb":
            return PLURAL_VERBS.get(word) or self.base(token)
        if how == "singular_verb":
            return SINGULAR_VERBS.get(word) or plural_form(self.base(token))
        if how == "plural":
            return self.plural.get(word) or plural_form(word)
        if how == "singular":
            return self.singular.get(word, word)
        if how == "as" and argument is not None:
            return self.inflect(argument, token.tag)
        raise RuleError(f"unknown transform {how!r}")

    def inflect(self, base: str, tag: str) -> str:
        """``base`` in the form a Penn tag says: took for (take, VBD), taking for VBG..."""
        if tag == "VBD":
            return self.simple_past.get(base) or regular_past(base)
        if tag == "VBN":
            return self.participle.get(base) or regular_past(base)
        if tag == "VBZ":
            return plural_form(base)
        if tag == "VBG":
            return present_participle(base)
        return base


def present_participle(base: str) -> str:
    """The -ing form of a verb without a doubled consonant: make, making; see, seeing."""
    stem = base[:-1] if base.endswith("e") and not base.endswith("ee") else base
    return stem + "ing"


def regular_past(base: str) -> str:
    """The -ed form of a regular verb: bake, baked; copy, copied."""
    if base.endswith("e"):
        return base + "d"
    if len(base) > 2 and base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


def plural_form(word: str) -> str:
    """The regular plural of a noun, or the -s form of a verb: box, boxes; copy, copies."""
    if word.endswith(("s", "x", "z", "ch", "sh", "o")):
        return word + "es"
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


@dataclass(frozen=True, slots=True)
class Example:
    """A text a rule must flag (with the text its first suggestion makes), or must leave."""

    text: str
    corrected: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern rule of ``rules.yaml``."""

    id: str
    category: Category
    message: str
    explanation: str
    pattern: tuple[Condition, ...]
    mark: tuple[int, int]
    suggestions: tuple[str, ...]
    sentence_start: bool
    wrong: tuple[Example, ...]
    right: tuple[Example, ...]
    anchors: tuple[frozenset[str], ...]
    """Word sets of the required tokens: a text without a word of each cannot match."""

    @classmethod
    def parse(cls, raw: object) -> Rule:
        if not isinstance(raw, dict):
            raise RuleError("each rule must be a mapping")
        rule = str(raw.get("id", "?"))
        if not _RULE_ID.match(rule):
            raise RuleError(f"rule {rule}: the id must be UPPER_SNAKE_CASE")
        unknown = set(raw) - RULE_KEYS
        if unknown:
            raise RuleError(f"rule {rule}: unknown keys {sorted(unknown)}")
        for key in ("category", "message", "explanation", "pattern", "examples"):
            if not raw.get(key):
                raise RuleError(f"rule {rule}: {key} is missing")
        try:
            category = Category(raw["category"])
        except ValueError:
            raise RuleError(f"rule {rule}: unknown category {raw['category']!r}") from None
        if not isinstance(raw["pattern"], list):
            raise RuleError(f"rule {rule}: pattern must be a list of tokens")
        pattern = tuple(Condition.parse(token, rule) for token in raw["pattern"])
        if all(condition.optional for condition in pattern):
            raise RuleError(f"rule {rule}: the pattern needs a token that is not optional")
        mark = tuple(raw.get("mark", (0, len(pattern) - 1)))
        if len(mark) != 2 or not 0 <= mark[0] <= mark[1] < len(pattern):
            raise RuleError(f"rule {rule}: mark must be [first, last] positions of the pattern")
        suggestions = tuple(str(s) for s in raw.get("suggestions", ()))
        for suggestion in suggestions:
            for found in _PLACEHOLDER.finditer(suggestion):
                if any(int(i) >= len(pattern) for i in found.group(1, 2) if i is not None):
                    raise RuleError(f"rule {rule}: {suggestion!r} quotes a token past the pattern")
        examples = raw["examples"]
        if not isinstance(examples, dict) or not examples.get("wrong") or not examples.get("right"):
            raise RuleError(f"rule {rule}: examples need both wrong and right sentences")
        wrong = examples["wrong"]
        if not isinstance(wrong, dict):
            raise RuleError(f"rule {rule}: wrong examples map each sentence to its correction")
        anchors = tuple(
            condition.texts
            for condition in pattern
            if condition.texts is not None and not condition.optional
        )
        return cls(
            id=rule,
            category=category,
            message=str(raw["message"]),
            explanation=str(raw["explanation"]),
            pattern=pattern,
            mark=(mark[0], mark[1]),
            suggestions=suggestions,
            sentence_start=bool(raw.get("sentence_start", False)),
            wrong=tuple(Example(str(text), str(fixed)) for text, fixed in wrong.items()),
            right=tuple(Example(str(text), None) for text in examples["right"]),
            anchors=anchors,
        )

    def may_match(self, words: frozenset[str]) -> bool:
        """Whether a text with these words (see :func:`words_of`) may hold a match."""
        return all(anchor & words for anchor in self.anchors)

    def matches(self, tokens: Sequence[Token]) -> Iterable[list[Token | None]]:
        """Each match: the token of every pattern position, None for a missing optional one."""
        start = 0
        while start < len(tokens):
            found = None
            if not self.sentence_start or _starts_sentence(tokens, start):
                found = self._match_from(tokens, start, 0)
            if found is None:
                start += 1
                continue
            yield found
            start += max(1, sum(1 for token in found if token is not None))

    def _match_from(
        self, tokens: Sequence[Token], index: int, position: int
    ) -> list[Token | None] | None:
        if position == len(self.pattern):
            return []
        condition = self.pattern[position]
        token = tokens[index] if index < len(tokens) else None
        if condition.matches(token):
            rest = self._match_from(tokens, index + 1, position + 1)
            if rest is not None:
                return [token, *rest]
        if condition.optional:
            rest = self._match_from(tokens, index, position + 1)
            if rest is not None:
                return [None, *rest]
        return None


def in_compound(text: str, token: Token) -> bool:
    """Whether ``token`` is joined by a hyphen to a word (the "are" of "an are-you-sure box").

    A hyphenated compound is one word of the sentence, whatever the words inside it are, so
    no rule reads a word inside one as a word of the sentence's grammar.
    """
    after, before = text[token.end : token.end + 2], text[max(0, token.start - 2) : token.start]
    return (len(after) == 2 and after[0] == "-" and after[1].isalnum()) or (
        len(before) == 2 and before[1] == "-" and before[0].isalnum()
    )


def _starts_sentence(tokens: Sequence[Token], index: int) -> bool:
    return index == 0 or tokens[index - 1].lower in SENTENCE_END


def words_of(text: str) -> frozenset[str]:
    """The words of ``text`` in small letters, contractions split the way the tagger splits."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    return frozenset(CONTRACTED.get(word, word) for word in words)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule of the file, and the tables their suggestions use."""

    rules: tuple[Rule, ...]
    tables: Tables

    def candidates(self, text: str) -> list[Rule]:
        """The rules that may match ``text``: the others need a word it does not have."""
        words = words_of(text)
        return [rule for rule in self.rules if rule.may_match(words)]

    def find(self, text: str, tokens: Sequence[Token], rules: Iterable[Rule]) -> list[Issue]:
        """The issues ``rules`` find in ``text``, tagged as ``tokens``."""
        issues = []
        for rule in rules:
            for match in rule.matches(tokens):
                if any(t is not None and in_compound(text, t) for t in match):
                    continue
                issue = self._issue(text, rule, match)
                if issue is not None:
                    issues.append(issue)
        return issues

    def _issue(self, text: str, rule: Rule, match: list[Token | None]) -> Issue | None:
        marked = [t for t in match[rule.mark[0] : rule.mark[1] + 1] if t is not None]
        if not marked:
            return None
        start, end = marked[0].start, marked[-1].end
        original = text[start:end]
        suggestions = [
            _same_case(original, self._fill(text, template, match)) for template in rule.suggestions
        ]
        return Issue(
            start=start,
            end=end,
            category=rule.category,
            message=rule.message,
            suggestions=tuple(dict.fromkeys(s for s in suggestions if s != original)),
            explanation=rule.explanation,
            engine="rules",
            rule=rule.id,
        )

    def _fill(self, text: str, template: str, match: list[Token | None]) -> str:
        def replace(found: re.Match[str]) -> str:
            first, last, how, argument = found.groups()
            if last is not None:
                present = [t for t in match[int(first) : int(last) + 1] if t is not None]
                return text[present[0].start : present[-1].end] if present else ""
            token = match[int(first)]
            if token is None:
                return ""
            if how is None:
                return token.text
            return self.tables.transform(token, how, argument)

        return " ".join(_PLACEHOLDER.sub(replace, template).split())


def _same_case(original: str, suggestion: str) -> str:
    """The suggestion capitalized like the text it replaces (its first letter)."""
    pronoun_i = original == "I" or original.startswith(("I ", "I'"))
    if original[:1].isupper() and suggestion[:1].islower() and not pronoun_i:
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion


def _read(path: Path) -> Any:
    import yaml  # noqa: PLC0415  (read once the engines load; a bot without them never needs it)

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RuleError(f"cannot read the rules file {path}: {error}") from error


@functools.cache
def simple_past_forms(path: Path = RULES_FILE) -> frozenset[str]:
    """The simple past of every irregular verb of the rules' tables (went, lent, froze).

    A past form agrees with every subject; the engines use it to tell a past verb from a
    present one they would otherwise call a disagreement ("he lent").
    """
    raw = _read(path)
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: expected a mapping with a list of rules")
    return frozenset(Tables.parse(raw).simple_past.values())


def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """The rules of ``path``; :class:`RuleError` naming the rule at fault if one is malformed."""
    raw = _read(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise RuleError(f"{path}: expected a mapping with a list of rules")
    rules = tuple(Rule.parse(entry) for entry in raw["rules"])
    ids = [rule.id for rule in rules]
    repeated = sorted({rule for rule in ids if ids.count(rule) > 1})
    if repeated:
        raise RuleError(f"{path}: rule ids used twice: {', '.join(repeated)}")
    return RuleSet(rules, Tables.parse(raw))
