"""The classic mode in Discord: ``/bee classic``, ``/bee stop``, records, buttons and the form.

The ``/bee`` commands themselves live on the puzzle cog (one command group per bot) and call
this cog, which also answers the buttons and the spelling form. Everything is a thin
translation to :class:`~botfleet.bots.spelling_bee.services.classic.ClassicService`; problems
a member can fix come back as :class:`~botfleet.errors.UserError` and are answered privately.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, resolve_level
from botfleet.bots.spelling_bee.config import SpellingBeeOptions
from botfleet.bots.spelling_bee.services.classic import (
    ClassicMode,
    ClassicService,
    Finish,
    Round,
    Settings,
)
from botfleet.bots.spelling_bee.services.classic_words import Difficulty
from botfleet.bots.spelling_bee.views.classic import (
    NO_PINGS,
    ClassicDisplay,
    attempt_text,
    begins_text,
    finish_text,
    lobby_embed,
    spellers_embed,
)
from botfleet.bots.spelling_bee.views.classic_buttons import (
    COG_NAME,
    ClassicButton,
    SpellModal,
    buttons,
)
from botfleet.core.answers import answer_in_time
from botfleet.core.errors import handle_interaction_error
from botfleet.errors import UserError
from botfleet.utils.places import place_of
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

PUZZLE_PAUSED: Final = (
    "⏸️ Words typed in this channel now belong to this game: the daily puzzle's typed guesses "
    "pause until it ends (`/bee guess` still works)."
)

SERVER_ONLY: Final = "The Spelling Bee is played in a server's channels."


class ClassicPlay(commands.Cog, name=COG_NAME):
    """Classic spelling bees: rounds, buttons, the spelling form and records."""

    def __init__(
        self,
        bot: FleetBot,
        service: ClassicService,
        display: ClassicDisplay,
        options: SpellingBeeOptions,
    ) -> None:
        self.bot = bot
        self.service = service
        self.display = display
        self.options = options

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ClassicButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ClassicButton)
        await self.service.bank.close()

    # --- The /bee commands (called by the puzzle cog) --------------------------------------

    async def start(
        self,
        interaction: discord.Interaction[Any],
        *,
        difficulty: Difficulty | None,
        rounds: int | None,
        lives: int | None,
        mode: ClassicMode,
        pauses_puzzle: bool,
    ) -> None:
        """Open the lobby or play the first word; ``pauses_puzzle``: this is the puzzle's channel,
        whose typed guesses wait for the game's end (one message, one game)."""
        guild_id, channel_id = place_of(interaction, SERVER_ONLY)
        pause_note = f"\n{PUZZLE_PAUSED}" if pauses_puzzle else ""
        settings = Settings(
            mode,
            difficulty or self.options.classic_difficulty,
            rounds or self.options.classic_rounds,
            lives or self.options.classic_lives,
        )
        starter = interaction.user.id
        if mode is ClassicMode.ELIMINATION:
            lobby = await self.service.open_lobby(
                guild_id=guild_id, channel_id=channel_id, starter_id=starter, settings=settings
            )
            await interaction.response.send_message(
                pause_note.strip() or None,
                embed=lobby_embed(lobby, self.bot.settings.colors.primary),
                view=buttons(lobby.game_id, "0", "join", "begin"),
                allowed_mentions=NO_PINGS,
            )
            return
        first = await self.service.start_solo(
            guild_id=guild_id, channel_id=channel_id, starter_id=starter, settings=settings
        )
        await interaction.response.send_message(
            f"🐝 A classic spelling bee for <@{starter}>: {plural(settings.rounds, 'word')}, "
            f"{plural(settings.lives, 'life', 'lives')}, {settings.difficulty}. "
            f"Listen, read the clues, and spell!{pause_note}",
            allowed_mentions=NO_PINGS,
        )
        await self.display.post_round(first)

    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        _, channel_id = place_of(interaction, SERVER_ONLY)
        moderator = await resolve_level(self.bot, interaction.user) >= PermissionLevel.MODERATOR
        finish, word = await self.service.stop(channel_id, interaction.user.id, moderator=moderator)
        await interaction.response.send_message(
            finish_text(finish, word), allowed_mentions=NO_PINGS
        )

    async def spellers(self, interaction: discord.Interaction[Any]) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        ranking = await self.service.leaderboard(guild_id, self.options.leaderboard_size)
        await interaction.response.send_message(
            embed=spellers_embed(ranking, self.bot.settings.colors.primary),
            allowed_mentions=NO_PINGS,
        )

    # --- Buttons and the form --------------------------------------------------------------

    async def press(
        self, interaction: discord.Interaction[Any], game_id: str, key: str, action: str
    ) -> None:
        try:
            if action == "spell":
                await self.service.current_round(game_id, interaction.user.id, key)
                await interaction.response.send_modal(SpellModal(game_id, key))
            elif action == "hear":
                await self._hear(interaction, game_id)
            elif action == "join":
                lobby = await self.service.join(game_id, interaction.user.id)
                await interaction.response.edit_message(
                    embed=lobby_embed(lobby, self.bot.settings.colors.primary)
                )
            else:
                first = await self.service.begin_now(game_id, interaction.user.id)
                await self._close_lobby(interaction, first)
        except Exception as error:
            await handle_interaction_error(interaction, error)

    async def _hear(self, interaction: discord.Interaction[Any], game_id: str) -> None:
        """The current word's audio again, for the member alone."""
        # Speaking a word the cache lacks runs the speech engine, which may take a while.
        async with answer_in_time(interaction, "word's audio", ephemeral=True) as answer:
            current = await self.service.current_round(game_id)
            audio = await self.display.audio(current.word.word)
            if audio is None:
                raise UserError("This bot has no speech: spell the word from its clues.")
            await answer.send("🔊 Here is the word again.", files=[audio])

    async def _close_lobby(self, interaction: discord.Interaction[Any], first: Round) -> None:
        await interaction.response.edit_message(
            content=begins_text(first),
            embed=None,
            view=None,
            allowed_mentions=NO_PINGS,
        )
        await self.display.post_round(first)

    async def submit_spelling(
        self, interaction: discord.Interaction[Any], game_id: str, key: str, text: str
    ) -> None:
        """The spelling form was sent: the verdict in the channel, then what comes next."""
        try:
            attempt = await self.service.answer(game_id, interaction.user.id, text, key=key)
            await interaction.response.send_message(
                attempt_text(attempt), allowed_mentions=NO_PINGS
            )
        except Exception as error:
            await handle_interaction_error(interaction, error)
            return
        await self.display.follow_up(attempt)

    async def lobby_result(self, result: Round | Finish, channel_id: int) -> None:
        """The lobby timer's outcome: the first round, or why there is none."""
        if isinstance(result, Round):
            await self.display.post_text(channel_id, begins_text(result))
            await self.display.post_round(result)
        else:
            await self.display.post_text(channel_id, finish_text(result))
