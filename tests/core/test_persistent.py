"""Custom ids of persistent items: declared once, built and read back by the same format."""

from __future__ import annotations

import re

import pytest

from botfleet.bots.grammar.views.quiz import DailyAnswerButton, PracticeAnswerButton
from botfleet.bots.hangman.views.buttons import ActionButton, LetterButton
from botfleet.bots.spelling_bee.views.classic_buttons import ClassicButton
from botfleet.bots.utility.views.polls import VoteButton
from botfleet.bots.utility.views.role_menus import RoleButton, RoleSelect
from botfleet.core.persistent import (
    LARGEST_ID,
    CustomIdFormat,
    digit,
    number,
    one_of,
    text,
)

GAME_ID = CustomIdFormat("game", number("game"), one_of("move", "go", "stop"), digit("seat", 3))


def match(format_: CustomIdFormat, custom_id: str) -> re.Match[str]:
    found = re.fullmatch(format_.template, custom_id)
    assert found is not None, custom_id
    return found


def test_a_built_id_reads_back_as_typed_values() -> None:
    custom_id = GAME_ID.build(42, "stop", 3)
    assert custom_id == "game:42:stop:3"
    assert GAME_ID.read(match(GAME_ID, custom_id)) == (42, "stop", 3)


def test_an_id_its_own_template_would_not_read_back_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        GAME_ID.build(42, "jump", 1)
    with pytest.raises(ValueError, match="does not match"):
        GAME_ID.build(42, "go", 4)
    with pytest.raises(ValueError, match="3 values expected, got 2"):
        GAME_ID.build(42, "go")


def test_a_number_beyond_a_64_bit_id_matches_the_template_but_does_not_read() -> None:
    found = match(GAME_ID, f"game:{LARGEST_ID + 1}:go:0")
    with pytest.raises(ValueError, match="64-bit"):
        GAME_ID.read(found)


def test_fixed_words_are_matched_literally() -> None:
    dotted = CustomIdFormat("a.b", text("rest", "[a-z]+"))
    assert re.fullmatch(dotted.template, "axb:c") is None
    assert dotted.build("c") == "a.b:c"


def test_a_digit_goes_up_to_nine() -> None:
    with pytest.raises(ValueError, match="up to 9"):
        digit("answer", 10)


@pytest.mark.parametrize(
    ("item", "custom_id"),
    [
        (LetterButton(42, "e"), "hangman:42:letter:e"),
        (ActionButton(42, "hint"), "hangman:42:hint"),
        (DailyAnswerButton(7, 2), "grammar:quiz:7:2"),
        (PracticeAnswerButton("its-vs-it-s", 1), "grammar:practice:its-vs-it-s:1"),
        (ClassicButton("ab12", "cd34", "spell"), "bee-classic:ab12:cd34:spell"),
        (VoteButton(9, 3), "poll:9:3"),
        (RoleButton(7, 123), "rolemenu:7:role:123"),
        (RoleSelect(7), "rolemenu:7:pick"),
    ],
)
def test_the_bots_items_keep_the_ids_their_posted_messages_carry(
    item: LetterButton
    | ActionButton
    | DailyAnswerButton
    | PracticeAnswerButton
    | ClassicButton
    | VoteButton
    | RoleButton
    | RoleSelect,
    custom_id: str,
) -> None:
    assert item.custom_id == custom_id
    assert re.fullmatch(type(item).__discord_ui_compiled_template__, custom_id) is not None
