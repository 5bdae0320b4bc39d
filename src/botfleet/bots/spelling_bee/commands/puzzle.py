"""``/bee``: today's puzzle, guesses, status, shuffle and hints; and the classic mode's commands.

Thin translation to :class:`~botfleet.bots.spelling_bee.services.game.BeeService`; the classic
mode's commands hand over to the classic cog. Problems a member can fix come back as
:class:`~botfleet.errors.UserError` and are answered privately.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import requires_permission
from botfleet.bots.spelling_bee.commands.classic import ClassicPlay
from botfleet.bots.spelling_bee.config import SpellingBeeOptions
from botfleet.bots.spelling_bee.services.classic import ClassicMode
from botfleet.bots.spelling_bee.services.classic_words import Difficulty
from botfleet.bots.spelling_bee.services.game import (
    MAX_GUESS_LENGTH,
    BeeService,
    parse_daily_time,
)
from botfleet.bots.spelling_bee.views.display import (
    hints_embed,
    hive_file,
    leaderboard_embed,
    puzzle_embed,
    status_embed,
    verdict_text,
)
from botfleet.errors import UserError

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

COG_NAME = "Spelling Bee"


def place_of(interaction: discord.Interaction[Any]) -> tuple[int, int]:
    """The guild and channel of a command; the puzzle is played in servers only."""
    if interaction.guild_id is None or interaction.channel_id is None:
        raise UserError("The Spelling Bee is played in a server's channels.")
    return interaction.guild_id, interaction.channel_id


class SpellingBeeCommands(commands.Cog, name=COG_NAME):
    """The daily puzzle, played together by a whole server, and classic spelling bees."""

    bee = app_commands.Group(
        name="bee",
        description="The daily Spelling Bee puzzle and spoken spelling bees.",
        guild_only=True,
    )

    def __init__(
        self,
        bot: FleetBot,
        service: BeeService,
        options: SpellingBeeOptions,
        classic: ClassicPlay,
    ) -> None:
        self.bot = bot
        self.service = service
        self.options = options
        self.classic_play = classic

    @bee.command(name="today", description="Post today's puzzle here and play it in this channel.")
    async def today(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id, channel_id = place_of(interaction)
        progress = await self.service.open_in(guild_id, channel_id, interaction.user.id)
        puzzle = progress.puzzle
        await interaction.response.send_message(
            embed=puzzle_embed(progress, self.bot.settings.colors.primary),
            file=await hive_file(puzzle.centre, puzzle.outer),
        )

    @bee.command(name="guess", description="Submit a word for today's puzzle.")
    @app_commands.describe(word="A word of four or more letters from the hive")
    async def guess(
        self,
        interaction: discord.Interaction[FleetBot],
        word: app_commands.Range[str, 1, MAX_GUESS_LENGTH],
    ) -> None:
        guild_id, channel_id = place_of(interaction)
        answer = await self.service.submit(
            guild_id, interaction.user.id, word, channel_id=channel_id
        )
        await interaction.response.send_message(
            verdict_text(answer),
            ephemeral=not answer.verdict.scores,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @bee.command(name="status", description="The words this server found today, score and rank.")
    async def status(self, interaction: discord.Interaction[FleetBot]) -> None:
        progress = await self.service.progress(place_of(interaction)[0])
        await interaction.response.send_message(
            embed=status_embed(progress, self.bot.settings.colors.info)
        )

    @bee.command(name="leaderboard", description="Who found the most of today's puzzle here.")
    async def leaderboard(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id, _ = place_of(interaction)
        ranking = await self.service.contributions(guild_id)
        await interaction.response.send_message(
            embed=leaderboard_embed(ranking, self.bot.settings.colors.primary),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @bee.command(name="shuffle", description="See the hive with its outer letters shuffled.")
    async def shuffle(self, interaction: discord.Interaction[FleetBot]) -> None:
        progress = await self.service.progress(place_of(interaction)[0])
        outer = self.service.shuffle(progress.puzzle)
        await interaction.response.send_message(
            embed=puzzle_embed(progress, self.bot.settings.colors.primary, outer),
            file=await hive_file(progress.puzzle.centre, outer),
            ephemeral=True,
        )

    @bee.command(name="hints", description="The hint grid and two-letter list of words left.")
    async def hints(self, interaction: discord.Interaction[FleetBot]) -> None:
        if not self.options.hints:
            raise UserError("Hints are turned off on this server's Spelling Bee.")
        progress = await self.service.progress(place_of(interaction)[0])
        await interaction.response.send_message(
            embed=hints_embed(progress.puzzle, progress.words, self.bot.settings.colors.info),
            ephemeral=True,
        )

    @bee.command(name="daily", description="Post the day's puzzle here every day (admins).")
    @app_commands.describe(
        at="Time of day in UTC as HH:MM, like 08:30; leave out to stop the daily post"
    )
    @requires_permission("admin")
    async def daily(
        self,
        interaction: discord.Interaction[FleetBot],
        at: app_commands.Range[str, 1, 5] | None = None,
    ) -> None:
        guild_id, channel_id = place_of(interaction)
        when = parse_daily_time(at) if at is not None else None
        next_post = await self.service.set_daily(guild_id, channel_id, interaction.user.id, when)
        if next_post is None:
            text = "The daily Spelling Bee post is off. `/bee today` still shows the puzzle."
        else:
            stamp = int(next_post.timestamp())
            text = (
                f"The Spelling Bee will be posted here every day at {at} UTC; next <t:{stamp}:R>."
            )
        await interaction.response.send_message(text, ephemeral=True)

    @bee.command(
        name="classic", description="A spelling bee: hear a word, read its clues, spell it."
    )
    @app_commands.describe(
        difficulty="How hard the words are (the server's default unless you choose)",
        rounds="How many words (solo) or rounds (elimination)",
        lives="Misses allowed in a solo game",
        mode="solo: you alone; elimination: members join and take turns, a miss is out",
    )
    async def classic(
        self,
        interaction: discord.Interaction[FleetBot],
        difficulty: Difficulty | None = None,
        rounds: app_commands.Range[int, 1, 50] | None = None,
        lives: app_commands.Range[int, 1, 10] | None = None,
        mode: ClassicMode = ClassicMode.SOLO,
    ) -> None:
        await self.classic_play.start(
            interaction, difficulty=difficulty, rounds=rounds, lives=lives, mode=mode
        )

    @bee.command(name="stop", description="End this channel's classic spelling bee.")
    async def stop(self, interaction: discord.Interaction[FleetBot]) -> None:
        await self.classic_play.stop(interaction)

    @bee.command(name="stats", description="A member's classic spelling bee record here.")
    @app_commands.describe(member="Whose record (yours unless you choose)")
    async def stats(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        await self.classic_play.stats(interaction, member)

    @bee.command(name="spellers", description="The best classic spellers of this server.")
    async def spellers(self, interaction: discord.Interaction[FleetBot]) -> None:
        await self.classic_play.spellers(interaction)
