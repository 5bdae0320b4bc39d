"""The bundled tips and quiz questions: checked at load, and a fair daily rotation."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from botfleet.bots.grammar.services.lessons import (
    CHOICE_LETTERS,
    FIRST_DAY,
    LessonDataError,
    Lessons,
    rotation_pick,
)

TIP = {"id": "t1", "title": "A title", "explanation": "Why.", "wrong": "Bad.", "right": "Good."}
QUESTION = {
    "id": "q1",
    "prompt": "Pick ___.",
    "choices": ["a", "b", "c"],
    "answer": "b",
    "explanation": "Because.",
}


def lessons_json(tips: list[dict[str, Any]], questions: list[dict[str, Any]]) -> str:
    return json.dumps({"tips": tips, "questions": questions})


def test_the_bundled_file_has_forty_of_each_and_every_answer_among_its_choices() -> None:
    lessons = Lessons.bundled()
    assert len(lessons.tips) == 40 and len(lessons.questions) == 40
    assert len({tip.id for tip in lessons.tips}) == 40
    for question in lessons.questions:
        assert 2 <= len(question.choices) <= len(CHOICE_LETTERS)
        assert question.right_choice in question.choices
        assert question.explanation and question.prompt


def test_a_valid_file_loads_with_the_answer_as_an_index() -> None:
    lessons = Lessons.from_json(lessons_json([TIP], [QUESTION]))
    assert lessons.questions[0].answer == 1 and lessons.questions[0].right_choice == "b"
    assert lessons.tip("t1") == lessons.tips[0] and lessons.tip("nope") is None
    assert lessons.question("q1") == lessons.questions[0]


@pytest.mark.parametrize(
    ("tips", "questions", "message"),
    [
        ([TIP, TIP], [QUESTION], "used twice"),
        ([TIP], [QUESTION, QUESTION], "used twice"),
        ([{**TIP, "title": "  "}], [QUESTION], "'title' must be a non-empty string"),
        ([{**TIP, "right": "Bad."}], [QUESTION], "are the same"),
        ([TIP], [{**QUESTION, "answer": "z"}], "not one of the choices"),
        ([TIP], [{**QUESTION, "choices": ["a"]}], "2 to 4"),
        ([TIP], [{**QUESTION, "choices": ["a", "b", "b"]}], "two choices are the same"),
        ([TIP], [{**QUESTION, "choices": ["a", ""]}], "non-empty"),
        ([TIP], [{**QUESTION, "explanation": ""}], "'explanation'"),
        ([{**TIP, "id": "Has:Colon"}], [QUESTION], "lowercase"),
        ([], [QUESTION], "'tips' must be a non-empty list"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_entry(
    tips: list[dict[str, Any]], questions: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(LessonDataError, match=message):
        Lessons.from_json(lessons_json(tips, questions))


def test_not_json_is_refused() -> None:
    with pytest.raises(LessonDataError, match="not valid JSON"):
        Lessons.from_json("{tips:")


def test_each_round_uses_every_item_once_and_guilds_differ() -> None:
    items = tuple(range(7))
    start = FIRST_DAY
    for first in (start, start + timedelta(days=7), start + timedelta(days=14)):
        round_items = [rotation_pick(items, 42, first + timedelta(days=n), "tip") for n in range(7)]
        assert sorted(round_items) == list(items)
    guild_a = [rotation_pick(items, 1, start + timedelta(days=n), "tip") for n in range(7)]
    guild_b = [rotation_pick(items, 2, start + timedelta(days=n), "tip") for n in range(7)]
    assert guild_a != guild_b


def test_the_day_of_a_guild_is_the_same_every_time() -> None:
    lessons = Lessons.bundled()
    day = FIRST_DAY + timedelta(days=400)  # the first day of a round of forty
    assert lessons.of_day(7, day) == lessons.of_day(7, day)
    forty_days = {lessons.of_day(7, day + timedelta(days=n))[1].id for n in range(40)}
    assert len(forty_days) == 40
