"""Commands every bot answers: /ping, /about, and the owner's ``sync`` command."""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.utils.embeds import EmbedField
from botfleet.utils.helpers import create_embed, format_time

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

SYNC_HELP = "Upload the slash commands to Discord now, whatever the stored hash says."


def latency_text(bot: FleetBot) -> str:
    """Gateway latency in whole milliseconds, or a note while it is not measured yet."""
    latency = bot.latency
    if not math.isfinite(latency):  # NaN or infinite before the first heartbeat
        return "not measured yet"
    return f"{round(latency * 1000)} ms"


def about_embed(bot: FleetBot, color: int, details: Sequence[EmbedField] = ()) -> discord.Embed:
    """The bot's card: who it is, its version, uptime, latency, servers and runtime.

    ``/about`` shows it as it is; a bot that tells more (the Utility Bot's ``/botinfo``: shard,
    memory) passes ``details``, shown before the runtime line.
    """
    return create_embed(
        title=bot.definition.display_name,
        description=bot.settings.bot.description,
        color=color,
        fields=[
            ("Version", f"botfleet {bot.version}", True),
            ("Uptime", format_time(int(time.time() - bot.started_at)), True),
            ("Latency", latency_text(bot), True),
            ("Servers", f"{len(bot.guilds):,}", True),
            *details,
            (
                "Runtime",
                f"Python {platform.python_version()}, discord.py {discord.__version__}",
                False,
            ),
        ],
        footer="Part of botfleet",
    )


class Fleet(commands.Cog):
    """Health and identity of the bot."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot

    # mypy 2 cannot solve discord.py's ParamSpec overloads of hybrid_command on cog methods.
    @commands.hybrid_command(  # type: ignore[arg-type]
        name="ping",
        description="Check that the bot answers, and how fast.",
        help="Check that the bot answers, and how fast.",
    )
    async def ping(self, ctx: commands.Context[Any]) -> None:
        await ctx.send(f"🏓 Pong! Gateway latency: {latency_text(self.bot)}.", ephemeral=True)

    @app_commands.command(name="about", description="What this bot is, its version and uptime.")
    async def about(self, interaction: discord.Interaction[FleetBot]) -> None:
        embed = about_embed(self.bot, self.bot.settings.colors.primary)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @commands.command(name="sync", hidden=True, help=SYNC_HELP)
    @requires_permission(PermissionLevel.BOT_OWNER)
    async def sync(self, ctx: commands.Context[FleetBot]) -> None:
        """The owner's text command; its help is given, since bots run without docstrings."""
        syncer = self.bot.tree_syncer
        if syncer is None:
            await ctx.reply("I have no application id yet; try again once I'm logged in.")
            return
        count = await syncer.sync_if_changed(self.bot.tree, "always")
        await ctx.reply(f"Synced {count} slash commands.", mention_author=False)


async def setup(bot: FleetBot) -> None:
    await bot.add_cog(Fleet(bot))
