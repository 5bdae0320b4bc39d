"""The buttons a game is played with, on two messages, surviving restarts.

Discord allows 25 buttons on a message (5 rows of 5), and a game needs 26 letters and three
actions. So the board message carries the drawing and the letters A to Y; a second message
right under it carries Z, "Guess the word", the hint and "Give up". Buttons rather than a
select menu: one press per letter, and the board shows at a glance which letters were tried.

Every button is a :class:`discord.ui.DynamicItem` whose ``custom_id`` carries the game id
(``hangman:42:letter:e``). The bot registers the two item classes at start, so a press on a
board posted before a restart reaches the game it names, read from the database.
"""

from __future__ import annotations

from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.hangman.services.game import ALPHABET, Board
from botfleet.bots.hangman.services.store import Game
from botfleet.core.errors import cog_serving
from botfleet.core.persistent import (
    ButtonLook,
    CustomIdFormat,
    PersistentItem,
    drawn_button,
    number,
    one_of,
    text,
)

COG_NAME: Final = "Hangman"
BOARD_LETTERS: Final = ALPHABET[:25]
CONTROL_LETTERS: Final = ALPHABET[25:]
LETTERS_PER_ROW: Final = 5

Button = discord.ui.Button[discord.ui.View]
LETTER_ID: Final = CustomIdFormat("hangman", number("game"), "letter", text("letter", "[a-z]"))
ACTIONS: Final = ("word", "hint", "quit")
ACTION_ID: Final = CustomIdFormat("hangman", number("game"), one_of("action", *ACTIONS))


@runtime_checkable
class GameActions(Protocol):
    """What the buttons and modals ask of the Hangman cog."""

    async def press_letter(
        self, interaction: discord.Interaction[Any], game_id: int, letter: str
    ) -> None: ...

    async def open_word_guess(
        self, interaction: discord.Interaction[Any], game_id: int
    ) -> None: ...

    async def take_hint(self, interaction: discord.Interaction[Any], game_id: int) -> None: ...

    async def give_up(self, interaction: discord.Interaction[Any], game_id: int) -> None: ...

    async def submit_word(
        self, interaction: discord.Interaction[Any], game_id: int, word: str
    ) -> None: ...

    async def submit_own_word(
        self, interaction: discord.Interaction[Any], word: str, player_id: int | None
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> GameActions | None:
    """The Hangman cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, GameActions, "Hangman")


class LetterButton(PersistentItem[Button], custom_id=LETTER_ID):
    """One letter of a game's keyboard."""

    def __init__(
        self,
        game_id: int,
        letter: str,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=letter.upper(),
                style=style,
                custom_id=LETTER_ID.build(game_id, letter),
                disabled=disabled,
            ),
            row=row,
        )
        self.game_id = game_id
        self.letter = letter

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.press_letter(interaction, self.game_id, self.letter)


class ActionButton(PersistentItem[Button], custom_id=ACTION_ID):
    """ "Guess the word", the hint or "Give up"."""

    LABELS: Final[dict[str, ButtonLook]] = {
        "word": ("Guess the word", "✍️", discord.ButtonStyle.primary),
        "hint": ("Hint (costs a life)", "💡", discord.ButtonStyle.secondary),
        "quit": ("Give up", "🏳️", discord.ButtonStyle.danger),
    }

    def __init__(self, game_id: int, action: str, *, disabled: bool = False) -> None:
        super().__init__(
            drawn_button(self.LABELS[action], ACTION_ID.build(game_id, action), disabled=disabled)
        )
        self.game_id = game_id
        self.action = action

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is None:
            return
        if self.action == "word":
            await actions.open_word_guess(interaction, self.game_id)
        elif self.action == "hint":
            await actions.take_hint(interaction, self.game_id)
        else:
            await actions.give_up(interaction, self.game_id)


def _letter_style(board: Board, letter: str) -> discord.ButtonStyle:
    if letter not in board.guessed:
        return discord.ButtonStyle.secondary
    if letter in board.letters:
        return discord.ButtonStyle.success
    return discord.ButtonStyle.danger


def _letter(game: Game, letter: str, row: int | None, over: bool) -> LetterButton:
    board = game.board
    return LetterButton(
        game.id,
        letter,
        style=_letter_style(board, letter),
        disabled=over or letter in board.guessed,
        row=row,
    )


def board_view(game: Game, *, over: bool = False) -> discord.ui.View:
    """The letters A to Y, five to a row; pressed ones coloured and disabled."""
    view = discord.ui.View(timeout=None)
    for index, letter in enumerate(BOARD_LETTERS):
        view.add_item(_letter(game, letter, index // LETTERS_PER_ROW, over))
    return view


def hint_available(board: Board, hints: bool) -> bool:
    """Whether the hint button may be pressed (the service checks again)."""
    return hints and board.lives_left > 1 and len(board.hidden_letters) > 1


def controls_view(game: Game, *, hints: bool, over: bool = False) -> discord.ui.View:
    """Z and the three actions, on the message under the board."""
    view = discord.ui.View(timeout=None)
    for letter in CONTROL_LETTERS:
        view.add_item(_letter(game, letter, 0, over))
    view.add_item(ActionButton(game.id, "word", disabled=over))
    view.add_item(
        ActionButton(game.id, "hint", disabled=over or not hint_available(game.board, hints))
    )
    view.add_item(ActionButton(game.id, "quit", disabled=over))
    return view
