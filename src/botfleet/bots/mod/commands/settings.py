"""/modset: a server's moderation channels (the modlog, the lockdown's channels), for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.bots.mod.commands.sanctions import SERVER_ONLY
from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.core.places import server_id_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot


def channel_list(channel_ids: tuple[int, ...]) -> str:
    return ", ".join(f"<#{channel_id}>" for channel_id in channel_ids) or "none"


@app_commands.guild_only()
class ModSettingsCommands(
    commands.GroupCog, group_name="modset", group_description="The server's moderation settings."
):
    """Where cases are posted and which channels a lockdown locks."""

    def __init__(self, bot: FleetBot[ModOptions], channels: ModChannelStore) -> None:
        self.bot = bot
        self.channels = channels
        super().__init__()

    @app_commands.command(name="modlog", description="Post each case in a channel (or stop).")
    @app_commands.describe(channel="The modlog channel; leave out to stop posting cases.")
    @requires_permission(PermissionLevel.ADMIN)
    async def modlog(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        if channel is None:
            await self.channels.set_modlog(guild_id, None)
            await interaction.response.send_message(
                "The modlog is off: cases are kept but no longer posted.", ephemeral=True
            )
            return
        ensure_bot_can(channel, ("view_channel", "send_messages", "embed_links"), "post cases")
        await self.channels.set_modlog(guild_id, channel.id)
        await interaction.response.send_message(
            f"📒 Cases are posted in {channel.mention} from now on.", ephemeral=True
        )

    @app_commands.command(name="lockdown-add", description="Lock this channel in a lockdown.")
    @app_commands.describe(channel="A channel /lockdown start locks.")
    @requires_permission(PermissionLevel.ADMIN)
    async def lockdown_add(
        self, interaction: discord.Interaction[FleetBot[ModOptions]], channel: discord.TextChannel
    ) -> None:
        ensure_bot_can(channel, ("view_channel", "manage_roles"), "lock it")
        channels = await self.channels.add_lockdown_channel(
            server_id_of(interaction, SERVER_ONLY), channel.id
        )
        await interaction.response.send_message(
            f"🚧 A lockdown locks: {channel_list(channels)}.", ephemeral=True
        )

    @app_commands.command(name="lockdown-remove", description="Leave a channel out of lockdowns.")
    @app_commands.describe(channel="A channel /lockdown start should no longer lock.")
    @requires_permission(PermissionLevel.ADMIN)
    async def lockdown_remove(
        self, interaction: discord.Interaction[FleetBot[ModOptions]], channel: discord.TextChannel
    ) -> None:
        channels = await self.channels.remove_lockdown_channel(
            server_id_of(interaction, SERVER_ONLY), channel.id
        )
        await interaction.response.send_message(
            f"🚧 A lockdown locks: {channel_list(channels)}.", ephemeral=True
        )

    @app_commands.command(name="show", description="The server's moderation channels.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def show(self, interaction: discord.Interaction[FleetBot[ModOptions]]) -> None:
        configured = await self.channels.get(server_id_of(interaction, SERVER_ONLY))
        modlog = (
            f"<#{configured.modlog_channel_id}>"
            if configured.modlog_channel_id is not None
            else "off"
        )
        await interaction.response.send_message(
            f"Modlog: {modlog}\nLockdown channels: {channel_list(configured.lockdown_channel_ids)}",
            ephemeral=True,
        )
