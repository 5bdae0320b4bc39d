"""The words games are played with: the bundled lists, and what members and admins type in.

The bundled lists are ``data/words.json``, built by ``scripts/build_hangman_words.py``
(categories from WordNet, difficulty from word frequency and length; sources in
``data/SOURCES.md``). Words that members type become *secrets*: lowercase letters, with single
spaces, hyphens and apostrophes between them, so a phrase like "ice-cream cone" can be played.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from botfleet.errors import UserError
from botfleet.services.content_policy import is_family_safe
from botfleet.services.profanity import contains_profanity

MIN_SECRET_LETTERS: Final = 3
MAX_SECRET_LENGTH: Final = 32
MIN_LIST_NAME_LENGTH: Final = 2
MAX_LIST_NAME_LENGTH: Final = 24
EASY_MAX_LETTERS: Final = 6
MEDIUM_MAX_LETTERS: Final = 9
"""Guild lists have no frequency data: their difficulty is the word's length alone."""

_SECRET: Final = re.compile(r"[a-z]+(?:[ '-][a-z]+)*")
_LIST_NAME: Final = re.compile(r"[a-z0-9]+(?:[ -][a-z0-9]+)*")
_WORD_IN_SECRET: Final = re.compile(r"[a-z]+")


class ListPolicy(StrEnum):
    """What a server's own word list lets in, chosen by the admin who makes the list.

    ``safe`` (the default) holds the list to the content policy of the bundled lists
    (:func:`botfleet.services.content_policy.is_family_safe`: nothing sexual, violent or
    slur-adjacent); ``open`` opts out of it, for a server whose games are not for everyone
    (a murder-mystery night), and keeps only the chat filter every typed word passes.
    """

    SAFE = "safe"
    OPEN = "open"

    @property
    def label(self) -> str:
        """The policy as an admin reads it in the list's info."""
        return "family-safe" if self is ListPolicy.SAFE else "open (not family-safe)"

    def check(self, secret: str) -> None:
        """Refuse, with a friendly error, a word (see :func:`to_secret`) the policy keeps out."""
        if self is ListPolicy.OPEN:
            return
        unfit = [word for word in _WORD_IN_SECRET.findall(secret) if not is_family_safe(word)]
        if unfit:
            raise UserError(
                "this list is family-safe, and that word is not suitable for everyone. "
                "A list made with `policy: open` accepts it."
            )


class Difficulty(StrEnum):
    """How hard a word is to guess: common short words are easy, rare or long ones hard."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


@dataclass(frozen=True, slots=True)
class Category:
    """One bundled category and its words by difficulty."""

    name: str
    description: str
    words: Mapping[Difficulty, tuple[str, ...]]

    @property
    def size(self) -> int:
        return sum(len(words) for words in self.words.values())


class WordListError(Exception):
    """A word list file that cannot be read or is not a word list; the message names it."""


class WordBank:
    """The bundled categories; picks the secret word of a new game."""

    def __init__(self, categories: Sequence[Category]) -> None:
        if not categories:
            raise ValueError("a word bank needs at least one category")
        self._categories = {category.name: category for category in categories}

    @classmethod
    def from_json(cls, text: str) -> WordBank:
        """Read the document ``scripts/build_hangman_words.py`` writes."""
        document: dict[str, Any] = json.loads(text)
        categories = []
        for name, entry in document["categories"].items():
            words = {level: tuple(entry[level.value]) for level in Difficulty}
            for listed in words.values():
                for word in listed:
                    if _SECRET.fullmatch(word) is None:
                        raise ValueError(f"the word list has an unplayable word: {word!r}")
            categories.append(Category(name, entry["description"], words))
        return cls(categories)

    @classmethod
    def bundled(cls) -> WordBank:
        """The lists shipped in the package (reads a file: call it off the event loop)."""
        return cls.from_file(
            resources.files("botfleet.bots.hangman").joinpath("data", "words.json")
        )

    @classmethod
    def from_file(cls, path: Traversable | Path) -> WordBank:
        """The lists of a ``words.json`` file; a :class:`WordListError` naming it if it cannot
        be read or is no word list (a damaged install)."""
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise WordListError(f"the word lists in {path} cannot be read: {error!r}") from error

    @property
    def categories(self) -> tuple[Category, ...]:
        """Every category, by name."""
        return tuple(self._categories[name] for name in sorted(self._categories))

    def has(self, name: str) -> bool:
        return name in self._categories

    def category(self, name: str) -> Category:
        """The category called ``name``; a friendly error names the others."""
        found = self._categories.get(name.strip().casefold())
        if found is None:
            names = ", ".join(sorted(self._categories))
            raise UserError(f"There is no category called “{name}”. Try one of: {names}.")
        return found

    def pick(
        self, category: str | None, difficulty: Difficulty, rng: random.Random
    ) -> tuple[Category, str]:
        """A random word of ``category`` (a random category when None) at ``difficulty``."""
        chosen = self.category(category) if category is not None else rng.choice(self.categories)
        return chosen, rng.choice(chosen.words[difficulty])


def fold(text: str) -> str:
    """Lowercase, accents dropped, runs of spaces made one: how typed words are compared."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("’", "'").split())


def letters_of(secret: str) -> frozenset[str]:
    """The distinct letters a secret is guessed by (spaces and punctuation are shown)."""
    return frozenset(char for char in secret if "a" <= char <= "z")


def to_secret(text: str) -> str:
    """A word or phrase a member typed, made a secret, or a friendly error saying what to fix."""
    secret = fold(text)
    if not secret:
        raise UserError("Type a word or a short phrase to play with.")
    if len(secret) > MAX_SECRET_LENGTH:
        raise UserError(
            f"That's {len(secret)} characters; keep it to {MAX_SECRET_LENGTH} or fewer."
        )
    if _SECRET.fullmatch(secret) is None:
        raise UserError(
            "Use only the letters A to Z, with single spaces, hyphens or apostrophes between "
            "words (no digits or other symbols)."
        )
    if sum(1 for char in secret if char.isalpha()) < MIN_SECRET_LETTERS:
        raise UserError(f"Use at least {MIN_SECRET_LETTERS} letters — that one is too easy!")
    if contains_profanity(secret):
        raise UserError("Let's keep it friendly: pick a word without profanity.")
    return secret


def to_list_name(text: str, bank: WordBank | None) -> str:
    """A guild list's name as an admin typed it, checked (it must not hide a bundled one;
    ``bank`` None: the bundled lists could not be read, so that is not checked here)."""
    name = fold(text)
    if not MIN_LIST_NAME_LENGTH <= len(name) <= MAX_LIST_NAME_LENGTH:
        raise UserError(
            f"A list name has {MIN_LIST_NAME_LENGTH} to {MAX_LIST_NAME_LENGTH} characters."
        )
    if _LIST_NAME.fullmatch(name) is None:
        raise UserError("A list name uses letters, digits, single spaces and hyphens only.")
    if bank is not None and bank.has(name):
        raise UserError(f"“{name}” is one of the bundled categories; pick another name.")
    if contains_profanity(name):
        raise UserError("Let's keep it friendly: pick a name without profanity.")
    return name


def length_difficulty(secret: str) -> Difficulty:
    """The difficulty of a guild list's word, by its number of letters."""
    count = sum(1 for char in secret if char.isalpha())
    if count <= EASY_MAX_LETTERS:
        return Difficulty.EASY
    if count <= MEDIUM_MAX_LETTERS:
        return Difficulty.MEDIUM
    return Difficulty.HARD
