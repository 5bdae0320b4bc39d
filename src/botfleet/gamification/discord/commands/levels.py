"""``/levels``: the group holding ``config`` and ``resync`` (every member's reward roles)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from botfleet.auth.permissions import requires_permission
from botfleet.errors import UserError
from botfleet.gamification.discord.commands.common import NO_PINGS, SERVER_ONLY, describe_resync
from botfleet.gamification.discord.commands.levels_config import LevelsConfig
from botfleet.gamification.discord.role_sync import RoleSyncer
from botfleet.utils.places import server_of

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


log = logging.getLogger(__name__)


@app_commands.guild_only()
class Levels(app_commands.Group, name="levels", description="This server's levels and XP rules."):
    def __init__(self, bot: FleetBot, syncer: RoleSyncer) -> None:
        super().__init__()
        self.bot = bot
        self.syncer = syncer
        self.config = LevelsConfig(bot, self, syncer)

    @app_commands.command(
        name="resync", description="Give every member exactly the reward roles they earned."
    )
    @requires_permission("admin")
    async def resync(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        if not await self.bot.gamification.rewards.table(guild.id):
            raise UserError("This server has no reward roles to sync: add some first.")
        self.syncer.claim_resync(guild)
        await interaction.response.defer(ephemeral=True)
        report = await self.syncer.resync_now(guild)
        await interaction.followup.send(
            f"✅ {describe_resync(report, guild)}", allowed_mentions=NO_PINGS, ephemeral=True
        )
