"""/raid: admins set the raid defence; moderators see it, start raid mode by hand and end it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.bots.mod.events.raid import RaidEvents
from botfleet.bots.mod.services.raid import RaidAction, RaidState, RaidStore, edited_settings
from botfleet.core.answers import answer_in_time
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed
from botfleet.utils.places import server_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Raid defence belongs to a server; use this command in one."
NO_PINGS = discord.AllowedMentions.none()
RAID_MODE_CHANGE: Final = "raid mode change"
"""What a slow /raid start or end is called in the note that its answer is coming."""


def describe_raid(state: RaidState) -> list[tuple[str, str, bool]]:
    settings = state.settings
    gates = []
    if settings.min_account_age_days:
        gates.append(f"accounts under {settings.min_account_age_days} days")
    if settings.require_avatar:
        gates.append("no avatar")
    alert = f"<#{settings.alert_channel_id}>" if settings.alert_channel_id else "none set"
    mode = f"on since <t:{int(state.since.timestamp())}:R>" if state.since else "off"
    return [
        ("Defence", "on" if settings.enabled else "off", True),
        ("Raid mode", mode, True),
        ("Detector", f"{settings.joins} joins in {settings.per_seconds} s", True),
        ("Gates", ", ".join(gates) or "none", True),
        ("Action", f"{settings.action.value} ({settings.timeout_minutes} min timeouts)", True),
        ("Verification", f"raised to {settings.verification_level}", True),
        ("Lasts", f"{settings.duration_minutes} min", True),
        ("Alerts", alert, True),
        ("Flagged", str(len(state.flagged)), True),
    ]


@app_commands.guild_only()
class RaidCommands(commands.GroupCog, group_name="raid", group_description="Raid defence."):
    """Settings and raid mode."""

    def __init__(self, bot: FleetBot[ModOptions], store: RaidStore, events: RaidEvents) -> None:
        self.bot = bot
        self.store = store
        self.events = events
        super().__init__()

    async def _show(
        self, interaction: discord.Interaction[FleetBot], guild_id: int, title: str
    ) -> None:
        await interaction.response.send_message(
            embed=await self._status_embed(guild_id, title),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def _status_embed(self, guild_id: int, title: str) -> discord.Embed:
        state = await self.store.get(guild_id)
        return create_embed(
            title, None, self.bot.settings.colors.primary, fields=describe_raid(state)
        )

    @app_commands.command(name="config", description="Set the raid defence.")
    @app_commands.describe(
        enabled="Watch joins at all.",
        joins="Joins that start raid mode...",
        seconds="...within this many seconds.",
        account_age_days="Act on accounts younger than this, raid or not (0: off).",
        require_avatar="Act on accounts without an avatar, raid or not.",
        action="What raid mode does to new members.",
        timeout_minutes="How long the timeout lasts.",
        verification_level="The level raid mode raises the server to (1-4).",
        duration_minutes="Raid mode ends by itself after this long.",
        alert_channel="Where the raid alert goes (the modlog channel).",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=action.value, value=action.value) for action in RaidAction]
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def config(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        enabled: bool | None = None,
        joins: app_commands.Range[int, 3, 200] | None = None,
        seconds: app_commands.Range[int, 2, 600] | None = None,
        account_age_days: app_commands.Range[int, 0, 365] | None = None,
        require_avatar: bool | None = None,
        action: str | None = None,
        timeout_minutes: app_commands.Range[int, 1, 40320] | None = None,
        verification_level: app_commands.Range[int, 1, 4] | None = None,
        duration_minutes: app_commands.Range[int, 5, 1440] | None = None,
        alert_channel: discord.TextChannel | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        if alert_channel is not None:
            ensure_bot_can(alert_channel, ["view_channel", "send_messages", "embed_links"], "post")
        state = await self.store.get(guild.id)
        settings = edited_settings(
            state.settings,
            enabled=enabled,
            joins=joins,
            per_seconds=seconds,
            min_account_age_days=account_age_days,
            require_avatar=require_avatar,
            action=action,
            timeout_minutes=timeout_minutes,
            verification_level=verification_level,
            duration_minutes=duration_minutes,
            alert_channel_id=alert_channel.id if alert_channel is not None else None,
        )
        await self.store.save_settings(guild.id, settings)
        log.info("guild %d: raid defence changed by %d", guild.id, interaction.user.id)
        await self._show(interaction, guild.id, "✅ Raid defence saved")

    @app_commands.command(name="status", description="The raid defence and raid mode.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def status(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        await self._show(interaction, guild.id, "Raid defence")

    @app_commands.command(name="start", description="Start raid mode by hand.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def start(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        state = await self.store.get(guild.id)
        # The verification level, the alert and the timer together can outlast the first
        # answer's 3 s.
        async with answer_in_time(interaction, RAID_MODE_CHANGE, ephemeral=True) as answer:
            if not await self.events.start_raid(guild, state.settings, []):
                raise UserError("Raid mode is on already; /raid end ends it.")
            await answer.send(
                embed=await self._status_embed(guild.id, "🚨 Raid mode on"),
                allowed_mentions=NO_PINGS,
            )

    @app_commands.command(
        name="end", description="End raid mode and restore the verification level."
    )
    @requires_permission(PermissionLevel.MODERATOR)
    async def end(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        async with answer_in_time(interaction, RAID_MODE_CHANGE, ephemeral=True) as answer:
            if not await self.events.end_raid(guild, f"ended by {interaction.user.name}"):
                raise UserError("Raid mode is not on.")
            await answer.send(
                embed=await self._status_embed(guild.id, "✅ Raid mode off"),
                allowed_mentions=NO_PINGS,
            )
