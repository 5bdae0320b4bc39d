"""The daily lessons: grammar tips and quiz questions shipped in ``data/lessons.json``.

The file is checked as it is loaded (unique ids, no empty text, each answer among its choices),
so a mistake in it stops the bot at start with a message naming the entry rather than posting
a broken quiz. Which tip and question a guild gets on a day is worked out from the date and the
guild alone: every process agrees, and nothing repeats until the whole list has been used.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, TypeVar

ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")
"""Ids end up in buttons' custom ids: short, lowercase, no colon."""

MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 4
MAX_CHOICE_LENGTH: Final = 70
"""A choice is a button label (80 characters at most, with its letter in front)."""
CHOICE_LETTERS: Final = "ABCD"
FIRST_DAY: Final = date(2026, 1, 1)
"""Day 0 of the rotation; any fixed date works, it only has to stay the same."""

Item = TypeVar("Item")


class LessonDataError(ValueError):
    """``lessons.json`` is malformed; the message names the entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class Tip:
    """A grammar tip: the rule in a few lines, and the mistake next to its fix."""

    id: str
    title: str
    explanation: str
    wrong: str
    right: str


@dataclass(frozen=True, slots=True)
class Question:
    """A multiple-choice question; ``answer`` is the index of the right choice."""

    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str

    @property
    def right_choice(self) -> str:
        return self.choices[self.answer]


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LessonDataError(f"{where}: {key!r} must be a non-empty string.")
    return value.strip()


def _id(entry: Mapping[str, Any], where: str, seen: set[str]) -> str:
    value = _text(entry, "id", where)
    if ID_PATTERN.fullmatch(value) is None:
        raise LessonDataError(f"{where}: id {value!r} must be lowercase letters, digits and '-'.")
    if value in seen:
        raise LessonDataError(f"{where}: id {value!r} is used twice.")
    seen.add(value)
    return value


def _tip(entry: Mapping[str, Any], where: str, seen: set[str]) -> Tip:
    tip = Tip(
        _id(entry, where, seen),
        _text(entry, "title", where),
        _text(entry, "explanation", where),
        _text(entry, "wrong", where),
        _text(entry, "right", where),
    )
    if tip.wrong == tip.right:
        raise LessonDataError(f"{where}: the wrong and the right example are the same.")
    return tip


def _question(entry: Mapping[str, Any], where: str, seen: set[str]) -> Question:
    question_id = _id(entry, where, seen)
    raw_choices = entry.get("choices")
    if not isinstance(raw_choices, list) or not MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES:
        raise LessonDataError(f"{where}: 'choices' must be a list of 2 to 4 strings.")
    choices = tuple(_text({"choice": choice}, "choice", where) for choice in raw_choices)
    if len(set(choices)) != len(choices):
        raise LessonDataError(f"{where}: two choices are the same.")
    if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
        raise LessonDataError(f"{where}: a choice is longer than {MAX_CHOICE_LENGTH} characters.")
    answer = _text(entry, "answer", where)
    if answer not in choices:
        raise LessonDataError(f"{where}: the answer {answer!r} is not one of the choices.")
    return Question(
        question_id,
        _text(entry, "prompt", where),
        choices,
        choices.index(answer),
        _text(entry, "explanation", where),
    )


def _entries(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise LessonDataError(f"{key!r} must be a non-empty list.")
    if not all(isinstance(entry, dict) for entry in entries):
        raise LessonDataError(f"every entry of {key!r} must be an object.")
    return entries


def rotation_pick(items: Sequence[Item], guild_id: int, day: date, salt: str) -> Item:
    """The item of ``day`` for ``guild_id``: a seeded shuffle per round of ``len(items)`` days.

    Each round is its own permutation, so no item comes back before all were used, and guilds
    see the list in different orders.
    """
    day_number = (day - FIRST_DAY).days
    rounds, position = divmod(day_number, len(items))
    order = list(range(len(items)))
    random.Random(f"{salt}:{guild_id}:{rounds}").shuffle(order)  # noqa: S311  (a seeded order)
    return items[order[position]]


@dataclass(frozen=True, slots=True)
class Lessons:
    """Every tip and question, checked, with look-up by id."""

    tips: tuple[Tip, ...]
    questions: tuple[Question, ...]

    @classmethod
    def from_json(cls, text: str) -> Lessons:
        """Parse and check the lessons file; raises :class:`LessonDataError`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise LessonDataError(f"lessons.json is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise LessonDataError("lessons.json must hold an object with 'tips' and 'questions'.")
        tip_ids: set[str] = set()
        question_ids: set[str] = set()
        tips = tuple(
            _tip(entry, f"tip {index + 1}", tip_ids)
            for index, entry in enumerate(_entries(data, "tips"))
        )
        questions = tuple(
            _question(entry, f"question {index + 1}", question_ids)
            for index, entry in enumerate(_entries(data, "questions"))
        )
        return cls(tips, questions)

    @classmethod
    def bundled(cls) -> Lessons:
        """The lessons shipped in the package (reads a file: call it off the event loop)."""
        return _bundled()

    def tip(self, tip_id: str) -> Tip | None:
        return next((tip for tip in self.tips if tip.id == tip_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    def of_day(self, guild_id: int, day: date) -> tuple[Tip, Question]:
        """The tip and the question ``guild_id`` gets on ``day``."""
        return (
            rotation_pick(self.tips, guild_id, day, "tip"),
            rotation_pick(self.questions, guild_id, day, "question"),
        )

    def practice_question(self, rng: random.Random) -> Question:
        """Any question, for ``/grammar quiz`` on demand."""
        return rng.choice(self.questions)


@cache
def _bundled() -> Lessons:
    data = resources.files("botfleet.bots.grammar").joinpath("data", "lessons.json")
    return Lessons.from_json(data.read_text(encoding="utf-8"))
