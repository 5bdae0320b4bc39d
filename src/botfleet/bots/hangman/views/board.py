"""What a game looks like: the board embed (gallows, masked word, lives) and the end message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import discord

from botfleet.bots.hangman.services.game import HIDDEN, Board
from botfleet.bots.hangman.services.games import Ending, Finish
from botfleet.bots.hangman.services.store import Game, GameSource
from botfleet.config.schema import ColorsSection
from botfleet.gamification import LevelUp
from botfleet.utils.helpers import create_embed, format_time
from botfleet.utils.wording import plural

LIFE: Final = "❤️"
LOST_LIFE: Final = "🖤"
ENDING_TITLES: Final[dict[Ending, str]] = {
    Ending.SOLVED: "🎉 Solved!",
    Ending.OUT_OF_LIVES: "💀 Out of lives",
    Ending.GAVE_UP: "🏳️ Game ended",
    Ending.TIMED_OUT: "⌛ Timed out",
}


def gallows(misses: int) -> str:
    """The gallows with one more part of the figure for each miss (0 to 6)."""

    def part(needed: int, drawing: str) -> str:
        return drawing if misses >= needed else " "

    lines = [
        "  ┏━━━┓",
        f"  ┃   {part(1, 'O')}",
        f"  ┃  {part(3, '/')}{part(2, '|')}{part(4, chr(92))}",
        f"  ┃  {part(5, '/')} {part(6, chr(92))}",
        "  ┃",
        "━━┻━━━━━",
    ]
    return "\n".join(line.rstrip() for line in lines)


def spaced_word(board: Board) -> str:
    """The masked word for a monospaced block: letters spaced out, words far apart."""
    return " ".join(
        "  " if char == " " else (char if char == HIDDEN else char.upper())
        for char in board.masked()
    )


def lives(board: Board) -> str:
    left = board.lives_left
    return f"{LIFE * left}{LOST_LIFE * (board.max_misses - left)} {left} left"


def title(game: Game) -> str:
    if game.source is GameSource.MEMBER:
        return "🪢 Hangman — a member's word"
    kind = " (server list)" if game.source is GameSource.GUILD else ""
    level = f" · {game.difficulty}" if game.difficulty is not None else ""
    return f"🪢 Hangman — {game.category.title()}{kind}{level}"


def players(game: Game) -> str:
    if game.source is GameSource.MEMBER and game.player_id is not None:
        return f"<@{game.setter_id}> challenges <@{game.player_id}>"
    if game.source is GameSource.MEMBER:
        return f"Word by <@{game.setter_id}> — everyone else may guess"
    if game.solo:
        return f"Solo game of <@{game.player_id}>"
    return "Everyone may guess"


def board_embed(
    game: Game,
    colors: ColorsSection,
    *,
    timeout_seconds: float,
    hints: bool,
    finish: Finish | None = None,
) -> discord.Embed:
    """The board: drawing and word in one monospaced block, then lives, misses and players."""
    board = game.board
    fields: list[tuple[str, str, bool]] = [
        ("Lives", lives(board), True),
        ("Wrong letters", " ".join(board.wrong_letters).upper() or "—", True),
        ("Players", players(game), False),
    ]
    if board.wrong_words:
        fields.insert(2, ("Wrong words", ", ".join(board.wrong_words).upper(), False))
    if finish is None:
        color = colors.primary
        hint_text = " · 💡 a hint costs a life" if hints else ""
        footer = (
            f"Press a letter, or guess the whole word{hint_text} · the game ends after "
            f"{format_time(round(timeout_seconds))} without a move"
        )
    else:
        color = colors.success if finish.ending is Ending.SOLVED else colors.error
        fields.append(("Result", result_line(game, finish, timeout_seconds), False))
        footer = "Start another game with /hangman start"
    return create_embed(
        title=title(game) if finish is None else f"{ENDING_TITLES[finish.ending]} {title(game)}",
        description=f"```\n{gallows(board.misses)}\n\n  {spaced_word(board)}\n```",
        color=color,
        fields=fields,
        footer=footer,
    )


def result_line(game: Game, finish: Finish, timeout_seconds: float) -> str:
    """One sentence saying how the game ended and what the word was."""
    word = f"**{game.board.secret.upper()}**"
    if finish.ending is Ending.SOLVED:
        line = f"<@{finish.by}> solved it — the word was {word}!"
    elif finish.ending is Ending.OUT_OF_LIVES:
        line = f"No lives left — the word was {word}."
    elif finish.ending is Ending.GAVE_UP:
        line = f"<@{finish.by}> ended the game — the word was {word}."
    else:
        idle = format_time(round(timeout_seconds))
        line = f"No move for {idle}, so the game is over — the word was {word}."
    winners = [recorded for recorded in finish.results if recorded.result.won]
    if winners:
        names = ", ".join(f"<@{recorded.result.user_id}>" for recorded in winners)
        line += f" +{plural(winners[0].result.points, 'point')} for {names}."
    return line


def result_message(
    game: Game, finish: Finish, timeout_seconds: float, level_ups: Sequence[LevelUp] = ()
) -> str:
    """The message posted under the board when a game ends, with the level-ups it caused."""
    lines = [f"{ENDING_TITLES[finish.ending]} {result_line(game, finish, timeout_seconds)}"]
    lines.extend(
        f"⭐ <@{level_up.user_id}> reached level {level_up.new_level}!" for level_up in level_ups
    )
    return "\n".join(lines)
