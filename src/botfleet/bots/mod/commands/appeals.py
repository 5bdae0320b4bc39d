"""/appeals: where banned members' appeals go, or no appeals at all."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.bots.mod.events.appeals import AppealEvents
from botfleet.bots.mod.services.appeals import AppealStore
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.sanctions import BanService
from botfleet.utils.places import server_id_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Appeals belong to a server; use this command in one."


@app_commands.guild_only()
class AppealCommands(
    commands.GroupCog, group_name="appeals", group_description="Appeals of banned members."
):
    """Admin settings of the appeal flow."""

    def __init__(self, store: AppealStore) -> None:
        self.store = store
        super().__init__()

    @app_commands.command(name="channel", description="Offer appeals; they land in this channel.")
    @app_commands.describe(channel="The staff channel appeals are posted in.")
    @requires_permission(PermissionLevel.ADMIN)
    async def channel(
        self, interaction: discord.Interaction[FleetBot], channel: discord.TextChannel
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        ensure_bot_can(channel, ["view_channel", "send_messages", "embed_links"], "post")
        await self.store.set_channel(guild_id, channel.id)
        log.info("guild %d: appeals to %d, set by %d", guild_id, channel.id, interaction.user.id)
        await interaction.response.send_message(
            f"✅ Members the bot bans get an appeal button; appeals land in {channel.mention}.",
            ephemeral=True,
        )

    @app_commands.command(name="off", description="Offer no appeals any more.")
    @requires_permission(PermissionLevel.ADMIN)
    async def off(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        await self.store.set_channel(guild_id, None)
        log.info("guild %d: appeals off, by %d", guild_id, interaction.user.id)
        await interaction.response.send_message("✅ Appeals are off.", ephemeral=True)


async def setup(bot: FleetBot[ModOptions]) -> None:
    store = AppealStore(bot.database)
    bans = BanService(bot.database, bot.scheduler, bot.options.unban_retry_policy())
    await bot.add_cog(AppealEvents(bot, store, CaseStore(bot.database), bans))
    await bot.add_cog(AppealCommands(store))
