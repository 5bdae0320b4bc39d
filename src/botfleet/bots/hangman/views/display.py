"""Showing games in Discord: posting a board, updating its two messages, telling the end.

A move answers its own interaction by editing the message that was pressed, and edits the
other message only when what it shows changed (Z was pressed, the hint became unavailable,
the game ended), which keeps each move to one request where it can be. The end of a game is
told in a message of its own, after the board is answered, with the level-ups it caused.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import discord

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services.game import Board
from botfleet.bots.hangman.services.games import Move
from botfleet.bots.hangman.services.store import Game
from botfleet.bots.hangman.views.board import board_embed, result_message
from botfleet.bots.hangman.views.buttons import (
    CONTROL_LETTERS,
    board_view,
    controls_view,
    hint_available,
)
from botfleet.config.schema import ColorsSection
from botfleet.gamification import LevelUp

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
FINAL_VERSION: Final = sys.maxsize
"""The version shown for a finished game: no earlier move may draw over its last board."""
REMEMBERED_GAMES: Final = 10_000


class ShownVersions:
    """The newest version of each game's board on screen, so an older move never overwrites it.

    Two members pressing at once make two moves in order, but their edits race to Discord;
    each edit claims its game's version first, and one older than what is shown is skipped.
    """

    def __init__(self, remembered: int = REMEMBERED_GAMES) -> None:
        self.remembered = remembered
        self._versions: OrderedDict[int, int] = OrderedDict()
        self._locks: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def claim(self, game_id: int, version: int) -> AsyncIterator[bool]:
        """Hold the game's display; yield whether ``version`` is still worth drawing."""
        lock = self._locks.setdefault(game_id, asyncio.Lock())
        async with lock:
            fresh = version >= self._versions.get(game_id, -1)
            yield fresh
            if fresh:
                self._versions[game_id] = version
                self._versions.move_to_end(game_id)
                while len(self._versions) > self.remembered:
                    forgotten, _ = self._versions.popitem(last=False)
                    self._locks.pop(forgotten, None)


class GameDisplay:
    """Renders games and keeps their messages up to date."""

    def __init__(
        self, client: discord.Client, options: HangmanOptions, colors: ColorsSection
    ) -> None:
        self.client = client
        self.options = options
        self.colors = colors
        self.shown = ShownVersions()

    def embed(self, move_or_game: Move | Game) -> discord.Embed:
        if isinstance(move_or_game, Move):
            game, finish = move_or_game.game, move_or_game.finish
        else:
            game, finish = move_or_game, None
        return board_embed(
            game,
            self.colors,
            timeout_seconds=self.options.inactivity_timeout,
            hints=self.options.hints,
            finish=finish,
        )

    def _controls_changed(self, before: Board, after: Board) -> bool:
        hints = self.options.hints
        return hint_available(before, hints) != hint_available(after, hints) or any(
            (letter in before.guessed) != (letter in after.guessed) for letter in CONTROL_LETTERS
        )

    async def post(self, interaction: discord.Interaction[Any], game: Game) -> tuple[int, int]:
        """Answer ``interaction`` with a new game's board and its controls; return their ids."""
        await interaction.response.send_message(
            embed=self.embed(game), view=board_view(game), allowed_mentions=NO_PINGS
        )
        board = await interaction.original_response()
        controls = await interaction.followup.send(
            view=controls_view(game, hints=self.options.hints), wait=True
        )
        return board.id, controls.id

    async def show_move(self, interaction: discord.Interaction[Any], move: Move) -> None:
        """Answer a button, form or command with the board after ``move``."""
        over = move.finish is not None
        version = FINAL_VERSION if over else move.game.version
        async with self.shown.claim(move.game.id, version) as fresh:
            if fresh:
                await self._draw_move(interaction, move, over=over)
            elif interaction.message is not None:
                await interaction.response.defer()  # a newer board is on screen already
            else:
                await interaction.response.send_message("Done.", ephemeral=True)

    async def _draw_move(
        self, interaction: discord.Interaction[Any], move: Move, *, over: bool
    ) -> None:
        game = move.game
        embed = self.embed(move)
        board = board_view(game, over=over)
        controls = controls_view(game, hints=self.options.hints, over=over)
        pressed = interaction.message.id if interaction.message is not None else None
        if pressed is not None and pressed == game.board_message_id:
            await interaction.response.edit_message(embed=embed, view=board)
            if over or self._controls_changed(move.before, game.board):
                await self._edit(game, game.controls_message_id, view=controls)
        elif pressed is not None and pressed == game.controls_message_id:
            await interaction.response.edit_message(view=controls)
            await self._edit(game, game.board_message_id, embed=embed, view=board)
        else:
            await interaction.response.send_message("Done — the board is updated.", ephemeral=True)
            await self._edit(game, game.board_message_id, embed=embed, view=board)
            await self._edit(game, game.controls_message_id, view=controls)

    async def announce_end(
        self,
        interaction: discord.Interaction[Any],
        move: Move,
        level_ups: tuple[LevelUp, ...],
    ) -> None:
        """Tell the channel how the game of ``move`` ended (under the interaction's answer)."""
        if move.finish is None:
            return
        await interaction.followup.send(
            result_message(move.game, move.finish, self.options.inactivity_timeout, level_ups),
            allowed_mentions=NO_PINGS,
        )

    async def show_end(self, move: Move, level_ups: tuple[LevelUp, ...]) -> None:
        """Show a game that ended without an interaction (a timeout) and tell its end."""
        game = move.game
        if move.finish is None:
            return
        await self._edit(
            game, game.board_message_id, embed=self.embed(move), view=board_view(game, over=True)
        )
        await self._edit(
            game,
            game.controls_message_id,
            view=controls_view(game, hints=self.options.hints, over=True),
        )
        channel = self.client.get_partial_messageable(game.channel_id)
        try:
            await channel.send(
                result_message(game, move.finish, self.options.inactivity_timeout, level_ups),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning(
                "could not tell channel %d that hangman game %d ended", game.channel_id, game.id
            )

    async def _edit(self, game: Game, message_id: int | None, **changes: Any) -> None:
        """Edit one of a game's messages; one deleted by a member is left alone."""
        if message_id is None:
            return
        message = self.client.get_partial_messageable(game.channel_id).get_partial_message(
            message_id
        )
        try:
            await message.edit(**changes)
        except discord.NotFound:
            log.info("message %d of hangman game %d was deleted", message_id, game.id)
        except discord.HTTPException:
            log.warning("could not update message %d of hangman game %d", message_id, game.id)
