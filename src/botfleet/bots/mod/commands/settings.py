"""/modset: a server's moderation settings, for admins: the modlog and lockdown channels, and
the warning rules (presets, thresholds, how long points count)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.bots.mod.commands.sanctions import NO_PINGS, SERVER_ONLY, Reason
from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.bots.mod.services.limits import CaseAction, action_duration
from botfleet.bots.mod.services.warning_rules import (
    with_expiry,
    with_preset,
    with_threshold,
    without_preset,
    without_threshold,
)
from botfleet.bots.mod.services.warnings import (
    MAX_PRESET_NAME_LENGTH,
    WarningService,
    WarningSettings,
)
from botfleet.utils.durations import format_time
from botfleet.utils.places import server_id_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot


def rules_text(rules: WarningSettings) -> str:
    """A server's warning rules in a few lines."""
    presets = ", ".join(
        f"{name} ({preset.points})" for name, preset in sorted(rules.presets.items())
    )
    thresholds = ", ".join(
        f"{threshold.points} → {threshold.action.value}"
        + (
            f" {format_time(threshold.duration_seconds)}"
            if threshold.duration_seconds is not None
            else ""
        )
        for threshold in rules.thresholds
    )
    expiry = f"{rules.expire_after_days} days" if rules.expire_after_days is not None else "never"
    return (
        f"Presets: {presets or 'none'}\nThresholds: {thresholds or 'none'}\n"
        f"Points expire after: {expiry}"
    )


def channel_list(channel_ids: tuple[int, ...]) -> str:
    return ", ".join(f"<#{channel_id}>" for channel_id in channel_ids) or "none"


@app_commands.guild_only()
class ModSettingsCommands(
    commands.GroupCog, group_name="modset", group_description="The server's moderation settings."
):
    """Where cases are posted and which channels a lockdown locks."""

    def __init__(
        self, bot: FleetBot[ModOptions], channels: ModChannelStore, warnings: WarningService
    ) -> None:
        self.bot = bot
        self.channels = channels
        self.warnings = warnings
        super().__init__()

    async def _change_rules(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        change: Callable[[WarningSettings], WarningSettings],
        done: str,
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        changed = change(await self.warnings.settings(guild_id))
        await self.warnings.save_settings(guild_id, changed)
        await interaction.response.send_message(
            f"{done}\n{rules_text(changed)}", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="preset-add", description="Add (or replace) a preset warning.")
    @app_commands.describe(
        name="What moderators pick in /warn preset.",
        reason="The reason the member is told.",
        points="What the warning counts (1 to 100).",
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def preset_add(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        name: app_commands.Range[str, 1, MAX_PRESET_NAME_LENGTH],
        reason: Reason,
        points: app_commands.Range[int, 1, 100],
    ) -> None:
        await self._change_rules(
            interaction,
            lambda rules: with_preset(rules, name, reason, points),
            f"Preset “{name.strip().casefold()}” saved.",
        )

    @app_commands.command(name="preset-remove", description="Remove a preset warning.")
    @app_commands.describe(name="The preset's name.")
    @requires_permission(PermissionLevel.ADMIN)
    async def preset_remove(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        name: app_commands.Range[str, 1, 40],
    ) -> None:
        await self._change_rules(
            interaction, lambda rules: without_preset(rules, name), "Preset removed."
        )

    @app_commands.command(
        name="threshold-add", description="Act when a member's active points reach a total."
    )
    @app_commands.describe(
        points="The active points that trigger it.",
        action="What the bot does then.",
        duration="How long, for a timeout (28d at most) or a tempban: 1h, 3d...",
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def threshold_add(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        points: app_commands.Range[int, 1, 1000],
        action: Literal["timeout", "kick", "tempban", "ban"],
        duration: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        chosen = CaseAction(action)
        length = action_duration(duration, chosen) if duration is not None else None
        await self._change_rules(
            interaction,
            lambda rules: with_threshold(rules, points, chosen, length),
            f"At {points} points: {action}.",
        )

    @app_commands.command(name="threshold-remove", description="Remove a warning threshold.")
    @app_commands.describe(points="The threshold's points.")
    @requires_permission(PermissionLevel.ADMIN)
    async def threshold_remove(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        points: app_commands.Range[int, 1, 1000],
    ) -> None:
        await self._change_rules(
            interaction, lambda rules: without_threshold(rules, points), "Threshold removed."
        )

    @app_commands.command(name="warning-expiry", description="How long warning points count.")
    @app_commands.describe(days="Days (0: they never expire).")
    @requires_permission(PermissionLevel.ADMIN)
    async def warning_expiry(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        days: app_commands.Range[int, 0, 3650],
    ) -> None:
        await self._change_rules(
            interaction,
            lambda rules: with_expiry(rules, days or None),
            "New warnings count for that long (earlier ones keep their end).",
        )

    @app_commands.command(name="warnings", description="The server's warning rules.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def warning_rules(self, interaction: discord.Interaction[FleetBot[ModOptions]]) -> None:
        rules = await self.warnings.settings(server_id_of(interaction, SERVER_ONLY))
        await interaction.response.send_message(
            rules_text(rules), ephemeral=True, allowed_mentions=NO_PINGS
        )

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
