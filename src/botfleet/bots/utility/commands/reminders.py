"""Slash commands for reminders and time zones; the rules live in ``services/``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.bots.utility.services.reminders import NewReminder, Reminder, ReminderService
from botfleet.bots.utility.services.timezones import (
    TimezoneStore,
    resolve_zone,
    search_zones,
)
from botfleet.bots.utility.services.when import MAX_WHEN_LENGTH, Recurrence
from botfleet.bots.utility.views.reminders import ReminderListView, reminders_embed
from botfleet.core.option_limits import StoredNumber, limit_text_option
from botfleet.utils.text import discord_timestamp, truncate_string

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

REPEAT_CHOICES: Final = [
    app_commands.Choice(name="every day", value=Recurrence.DAILY.value),
    app_commands.Choice(name="every week", value=Recurrence.WEEKLY.value),
]
EDIT_REPEAT_CHOICES: Final = [
    *REPEAT_CHOICES,
    app_commands.Choice(name="never (stop repeating)", value="never"),
]
WHEN_HELP: Final = "In your time zone: in 2h30m, tomorrow 9am, friday 18:00, 2026-12-01 14:00"


def describe_set(reminder: Reminder) -> str:
    """The answer to /remind and /reminders edit."""
    repeats = f", then {reminder.recurrence.value}" if reminder.recurrence else ""
    where = "by direct message" if reminder.direct_message else "here"
    due = discord_timestamp(reminder.due_at)
    return (
        f"⏰ Reminder #{reminder.id}: I'll remind you {where} on {due}{repeats}.\n"
        f"> {truncate_string(reminder.content, 200)}\n"
        f"-# Times are read in {reminder.timezone}; change it with /timezone set."
    )


class ReminderCommands(commands.Cog, name="Reminders"):
    """/remind, /reminders list|edit|delete and /timezone set|show."""

    reminders = app_commands.Group(name="reminders", description="See, change or delete yours.")
    timezone = app_commands.Group(name="timezone", description="Your time zone for reminders.")

    def __init__(
        self,
        bot: FleetBot,
        service: ReminderService,
        timezones: TimezoneStore,
        zones: tuple[str, ...],
    ) -> None:
        self.bot = bot
        self.service = service
        self.timezones = timezones
        self.zones = zones
        for command in ("remind", "reminders edit"):
            limit_text_option(self, command, "what", max_length=service.options.max_reminder_length)

    @app_commands.command(name="remind", description="Set a reminder: when, and what about.")
    @app_commands.describe(
        when=WHEN_HELP,
        what="What to remind you of.",
        repeat="Repeat it at the same time every day or week.",
        dm="Remind you by direct message instead of in this channel.",
    )
    @app_commands.choices(repeat=REPEAT_CHOICES)
    async def remind(
        self,
        interaction: discord.Interaction[FleetBot],
        when: app_commands.Range[str, 1, MAX_WHEN_LENGTH],
        what: str,
        repeat: str | None = None,
        dm: bool = False,
    ) -> None:
        channel_id = interaction.channel_id
        assert channel_id is not None  # every slash command comes from a channel
        reminder = await self.service.create(
            NewReminder(
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=channel_id,
                when=when,
                content=what,
                recurrence=Recurrence(repeat) if repeat else None,
                direct_message=dm,
            )
        )
        await interaction.response.send_message(
            describe_set(reminder), ephemeral=dm, allowed_mentions=discord.AllowedMentions.none()
        )
        if not dm:
            answer = await interaction.original_response()
            await self.service.attach_message(reminder.id, answer.id)

    @reminders.command(name="list", description="Your pending reminders.")
    async def list_reminders(self, interaction: discord.Interaction[FleetBot]) -> None:
        pending = await self.service.list_for(interaction.user.id)
        if not pending:
            await interaction.response.send_message(
                "You have no reminders. Set one with /remind.", ephemeral=True
            )
            return
        view = ReminderListView(self.service, interaction.user.id, pending)
        await interaction.response.send_message(
            embeds=reminders_embed(pending, self.bot.settings.colors.primary),
            view=view,
            ephemeral=True,
        )
        view.shown_by = interaction

    @reminders.command(name="delete", description="Delete one of your reminders.")
    @app_commands.describe(reminder="The reminder's number (see /reminders list).")
    async def delete_reminder(
        self, interaction: discord.Interaction[FleetBot], reminder: StoredNumber
    ) -> None:
        deleted = await self.service.delete(interaction.user.id, reminder)
        await interaction.response.send_message(
            f"🗑️ Deleted reminder #{deleted.id}: {truncate_string(deleted.content, 100)}",
            ephemeral=True,
        )

    @reminders.command(name="edit", description="Change the time, text or repetition of one.")
    @app_commands.describe(
        reminder="The reminder's number (see /reminders list).",
        when=WHEN_HELP,
        what="The new text.",
        repeat="Repeat it, or stop repeating it.",
    )
    @app_commands.choices(repeat=EDIT_REPEAT_CHOICES)
    async def edit_reminder(
        self,
        interaction: discord.Interaction[FleetBot],
        reminder: StoredNumber,
        when: app_commands.Range[str, 1, MAX_WHEN_LENGTH] | None = None,
        what: str | None = None,
        repeat: str | None = None,
    ) -> None:
        edited = await self.service.edit(
            interaction.user.id,
            reminder,
            when=when,
            content=what,
            recurrence=Recurrence(repeat) if repeat and repeat != "never" else None,
            stop_repeating=repeat == "never",
        )
        await interaction.response.send_message(
            describe_set(edited), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @delete_reminder.autocomplete("reminder")
    @edit_reminder.autocomplete("reminder")
    async def own_reminders(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[int]]:
        """Only the member's own reminders are offered."""
        pending = await self.service.list_for(interaction.user.id)
        wanted = current.strip().casefold().lstrip("#")
        return [
            app_commands.Choice(
                name=truncate_string(f"#{item.id} {item.content}", 100), value=item.id
            )
            for item in pending
            if wanted in str(item.id) or wanted in item.content.casefold()
        ][:25]

    @timezone.command(name="set", description="Set your time zone, so reminders use your clock.")
    @app_commands.describe(zone="A place such as Europe/Paris or America/New_York.")
    async def set_timezone(
        self, interaction: discord.Interaction[FleetBot], zone: app_commands.Range[str, 1, 64]
    ) -> None:
        name = resolve_zone(zone, self.zones)
        await self.timezones.set_zone(interaction.user.id, name)
        log.info("member %d set their time zone to %s", interaction.user.id, name)
        now = discord.utils.utcnow()
        local = now.astimezone(await self.timezones.zone_of(interaction.user.id))
        await interaction.response.send_message(
            f"🌍 Your time zone is now **{name}**; it is {local:%H:%M} ({local:%A}) there.",
            ephemeral=True,
        )

    @set_timezone.autocomplete("zone")
    async def zone_choices(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name) for name in search_zones(current, self.zones)
        ]

    @timezone.command(name="show", description="Show the time zone your reminders use.")
    async def show_timezone(self, interaction: discord.Interaction[FleetBot]) -> None:
        zone = await self.timezones.zone_of(interaction.user.id)
        local = discord.utils.utcnow().astimezone(zone)
        await interaction.response.send_message(
            f"🌍 Your reminders use **{zone.key}**, where it is {local:%H:%M} ({local:%A}). "
            "Change it with /timezone set.",
            ephemeral=True,
        )
