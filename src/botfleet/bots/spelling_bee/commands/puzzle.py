"""``/bee``: today's puzzle, guesses, status, shuffle and hints; and the classic mode's commands.

Thin translation to :class:`~botfleet.bots.spelling_bee.services.game.BeeService`; the classic
mode's commands hand over to the classic cog. Problems a member can fix come back as
:class:`~botfleet.errors.UserError` and are answered privately.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import requires_permission
from botfleet.bots.spelling_bee.commands.classic import SERVER_ONLY, ClassicPlay
from botfleet.bots.spelling_bee.config import SpellingBeeOptions
from botfleet.bots.spelling_bee.services.classic import ClassicMode
from botfleet.bots.spelling_bee.services.classic_words import Difficulty
from botfleet.bots.spelling_bee.services.game import MAX_GUESS_LENGTH, BeeService, zone_of
from botfleet.bots.spelling_bee.views.classic import NO_PINGS
from botfleet.bots.spelling_bee.views.display import (
    hints_embed,
    hive_file,
    leaderboard_embed,
    puzzle_embed,
    status_embed,
    verdict_text,
)
from botfleet.bots.spelling_bee.views.records import all_time_embed, record_embed
from botfleet.core.answers import answer_in_time
from botfleet.errors import UserError
from botfleet.utils.places import place_of
from botfleet.utils.timezones import resolve_zone, search_zones

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

COG_NAME = "Spelling Bee"
LeaderboardPeriod = Literal["today", "all time"]
RecordMode = Literal["both", "puzzle", "classic"]


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
        zones: tuple[str, ...],
    ) -> None:
        self.bot = bot
        self.service = service
        self.options = options
        self.classic_play = classic
        self.zones = zones

    @bee.command(name="today", description="Post today's puzzle here and play it in this channel.")
    async def today(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id, channel_id = place_of(interaction, SERVER_ONLY)
        # A write, the day's progress and the hive's picture: acknowledged in time on a busy
        # machine, one answer either way.
        async with answer_in_time(interaction, "puzzle") as answer:
            progress = await self.service.open_in(guild_id, channel_id, interaction.user.id)
            puzzle = progress.puzzle
            await answer.send(
                embed=puzzle_embed(progress, self.bot.settings.colors.primary),
                files=[await hive_file(puzzle.centre, puzzle.outer)],
            )

    @bee.command(name="guess", description="Submit a word for today's puzzle.")
    @app_commands.describe(word="A word of four or more letters from the hive")
    async def guess(
        self,
        interaction: discord.Interaction[FleetBot],
        word: app_commands.Range[str, 1, MAX_GUESS_LENGTH],
    ) -> None:
        guild_id, channel_id = place_of(interaction, SERVER_ONLY)
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
        progress = await self.service.progress(place_of(interaction, SERVER_ONLY)[0])
        await interaction.response.send_message(
            embed=status_embed(progress, self.bot.settings.colors.info)
        )

    @bee.command(name="leaderboard", description="Who found the most words of the puzzle here.")
    @app_commands.describe(period="Today's puzzle (the default) or every puzzle so far")
    async def leaderboard(
        self, interaction: discord.Interaction[FleetBot], period: LeaderboardPeriod = "today"
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        color = self.bot.settings.colors.primary
        size = self.options.leaderboard_size
        if period == "today":
            embed = leaderboard_embed((await self.service.contributions(guild_id))[:size], color)
        else:
            embed = all_time_embed(await self.service.all_time_leaderboard(guild_id, size), color)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)

    @bee.command(name="shuffle", description="See the hive with its outer letters shuffled.")
    async def shuffle(self, interaction: discord.Interaction[FleetBot]) -> None:
        progress = await self.service.progress(place_of(interaction, SERVER_ONLY)[0])
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
        progress = await self.service.progress(place_of(interaction, SERVER_ONLY)[0])
        await interaction.response.send_message(
            embed=hints_embed(progress.puzzle, progress.words, self.bot.settings.colors.info),
            ephemeral=True,
        )

    @bee.command(name="daily", description="Post the day's puzzle here every day (admins).")
    @app_commands.describe(
        at="Time of day as HH:MM, like 08:30, in the server's time zone; leave out to stop",
        timezone="The server's time zone, a place such as Europe/Paris (UTC unless set)",
    )
    @requires_permission("admin")
    async def daily(
        self,
        interaction: discord.Interaction[FleetBot],
        at: app_commands.Range[str, 1, 5] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        guild_id, channel_id = place_of(interaction, SERVER_ONLY)
        zone = resolve_zone(timezone, self.zones) if timezone is not None else None
        when = await self.service.daily_time_for(guild_id, at, zone)
        next_post = await self.service.set_daily(guild_id, channel_id, interaction.user.id, when)
        if when is None:
            text = "The daily Spelling Bee post is off. `/bee today` still shows the puzzle."
        else:
            clock = f"{when:%H:%M} {zone_of(when).key}"
            text = f"The Spelling Bee will be posted here every day at {clock}"
            text += f"; next <t:{int(next_post.timestamp())}:R>." if next_post else "."
        await interaction.response.send_message(text, ephemeral=True)

    @daily.autocomplete("timezone")
    async def timezone_choices(
        self, _interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name) for name in search_zones(current, self.zones)
        ]

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
        puzzle_here = interaction.guild_id is not None and (
            await self.service.channel_of(interaction.guild_id) == interaction.channel_id
        )
        await self.classic_play.start(
            interaction,
            difficulty=difficulty,
            rounds=rounds,
            lives=lives,
            mode=mode,
            pauses_puzzle=puzzle_here,
        )

    @bee.command(name="stop", description="End this channel's classic spelling bee.")
    async def stop(self, interaction: discord.Interaction[FleetBot]) -> None:
        await self.classic_play.stop(interaction)

    @bee.command(name="stats", description="A member's puzzle and classic records here.")
    @app_commands.describe(
        member="Whose record (yours unless you choose)",
        mode="Both records (the default), the daily puzzle's or the classic spelling bee's",
    )
    async def stats(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member | None = None,
        mode: RecordMode = "both",
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        target = member or interaction.user
        puzzle = await self.service.stats(guild_id, target.id) if mode != "classic" else None
        classic = (
            await self.classic_play.service.stats(guild_id, target.id) if mode != "puzzle" else None
        )
        embed = record_embed(
            target.display_name,
            self.bot.settings.colors.info,
            today=self.service.today(),
            puzzle=puzzle,
            classic=classic,
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)

    @bee.command(name="spellers", description="The best classic spellers of this server.")
    async def spellers(self, interaction: discord.Interaction[FleetBot]) -> None:
        await self.classic_play.spellers(interaction)
