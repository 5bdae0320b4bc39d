"""``/ai usage`` and ``/ai reset``: admins see and reset what the AI costs in their server.

Any bot that uses the AI service loads this extension (``botfleet.core.extensions.ai``). The
commands are thin: the numbers come from :class:`~botfleet.services.ai.budget.AIBudget`.
Resetting a member clears their count for today (it is fleet-wide); the server's own budget is
not reset here, so admins cannot spend more than their server's daily budget.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import requires_permission
from botfleet.errors import UserError
from botfleet.services.ai.budget import AIBudget, Usage, next_reset
from botfleet.utils.helpers import create_embed

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

COG_NAME = "AI usage"
NO_PINGS = discord.AllowedMentions.none()


def describe_usage(usage: Usage) -> str:
    """One line per counter: spent, budget, and whether premium raised it."""
    premium = " (premium budget)" if usage.premium else ""
    full = " — used up for today" if usage.exhausted else ""
    return (
        f"**Requests:** {usage.requests:,} of {usage.limits.requests:,}\n"
        f"**Tokens:** {usage.tokens:,} of {usage.limits.tokens:,}{premium}{full}"
    )


def _guild(interaction: discord.Interaction[FleetBot]) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    return interaction.guild


def _not_a_bot(member: discord.Member) -> None:
    if member.bot:
        raise UserError("Bots don't use the AI budget — pick a member instead.")


class AICommands(commands.Cog, name=COG_NAME):
    """Admin commands over the daily AI budgets."""

    ai = app_commands.Group(
        name="ai", description="See and reset AI usage in this server (admins).", guild_only=True
    )

    def __init__(self, bot: FleetBot, budget: AIBudget) -> None:
        self.bot = bot
        self.budget = budget

    @ai.command(name="usage", description="Today's AI usage of this server, or of one member.")
    @app_commands.describe(member="Whose usage to show, besides the server's; empty: the server.")
    @requires_permission("admin")
    async def usage(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        guild = _guild(interaction)
        if member is not None:
            _not_a_bot(member)
        server = await self.budget.guild_usage(guild.id)
        fields: list[tuple[str, str, bool]] = [("This server", describe_usage(server), False)]
        if member is not None:
            own = await self.budget.user_usage(member.id)
            fields.append((f"{member.display_name} (in every server)", describe_usage(own), False))
        resets = discord.utils.format_dt(next_reset(server.day), "R")
        embed = create_embed(
            f"AI usage on {server.day.isoformat()} (UTC)",
            f"Budgets start again {resets}.",
            self.bot.settings.colors.info,
            fields,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @ai.command(name="reset", description="Clear a member's AI usage for today.")
    @app_commands.describe(member="Whose usage to clear; the server's own budget is not reset.")
    @requires_permission("admin")
    async def reset(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member
    ) -> None:
        guild = _guild(interaction)
        _not_a_bot(member)
        cleared = await self.budget.reset_user(member.id)
        log.info(
            "admin %d reset the AI usage of member %d in guild %d (%d requests, %d tokens)",
            interaction.user.id,
            member.id,
            guild.id,
            cleared.requests,
            cleared.tokens,
        )
        if cleared.requests == 0 and cleared.tokens == 0:
            answer = f"{member.mention} has not used the AI today; nothing to reset."
        else:
            answer = (
                f"Cleared {member.mention}'s AI usage for today ({cleared.requests:,} requests, "
                f"{cleared.tokens:,} tokens); they have their full budget again."
            )
        await interaction.response.send_message(answer, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: FleetBot) -> None:
    await bot.add_cog(AICommands(bot, AIBudget(bot.database, bot.settings.ai, premium=bot.premium)))
