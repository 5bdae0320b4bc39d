"""/fleet status: which of the six bots are up, read from the heartbeats they all write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet import get_definition
from botfleet.core.heartbeat import BotState, BotStatus, read_fleet_status
from botfleet.utils.helpers import create_embed

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

STATE_ICONS: Final = {
    BotState.ONLINE: "🟢",
    BotState.NOT_RESPONDING: "🔴",
    BotState.STOPPED: "⚪",
    BotState.NEVER_SEEN: "⚫",
}


def status_line(status: BotStatus) -> str:
    """One bot's line: state, then what matters for that state."""
    icon = STATE_ICONS[status.state]
    if status.state is BotState.ONLINE:
        assert status.started_at is not None
        processes = f" · {status.processes_text}" if status.processes_text else ""
        return (
            f"{icon} **online** · {status.latency_text} · up since "
            f"{discord.utils.format_dt(status.started_at, 'R')} · v{status.version} · "
            f"{status.reach}{processes}"
        )
    if status.state is BotState.STOPPED:
        assert status.stopped_at is not None
        return f"{icon} **stopped** {discord.utils.format_dt(status.stopped_at, 'R')}"
    if status.state is BotState.NOT_RESPONDING:
        assert status.last_seen is not None
        return (
            f"{icon} **not responding** · last heartbeat "
            f"{discord.utils.format_dt(status.last_seen, 'R')}"
        )
    return f"{icon} **never started** on this database"


class FleetStatusCommands(commands.Cog, name="Fleet status"):
    """The fleet at a glance, for the people who run it."""

    fleet = app_commands.Group(name="fleet", description="The bots of this fleet.")

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot

    @fleet.command(name="status", description="Which of the fleet's bots are up, and how fast.")
    async def status(self, interaction: discord.Interaction[FleetBot]) -> None:
        statuses = await read_fleet_status(self.bot.database)
        online = sum(1 for status in statuses if status.state is BotState.ONLINE)
        embed = create_embed(
            title="Fleet status",
            description=f"{online} of {len(statuses)} bots online.",
            color=(
                self.bot.settings.colors.success
                if online == len(statuses)
                else self.bot.settings.colors.warning
            ),
            fields=[
                (get_definition(status.bot_name).display_name, status_line(status), False)
                for status in statuses
            ],
            footer="From the heartbeat each bot writes every "
            f"{self.bot.settings.bot.heartbeat_interval:g} s",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)
