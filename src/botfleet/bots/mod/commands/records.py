"""/case, /cases, /reason, /warnings and /note: reading and amending the server's record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.limits import MAX_REASON_LENGTH
from botfleet.bots.mod.services.records import MAX_NOTE_LENGTH, NoteStore
from botfleet.bots.mod.services.warnings import WarningService
from botfleet.bots.mod.views.cases import case_embed, cases_embed, standing_embed
from botfleet.core.option_limits import StoredNumber
from botfleet.utils.places import server_id_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

SERVER_ONLY: Final = "Cases belong to a server; use this command in one."
CASE_AMENDED_EVENT: Final = "mod_case_amended"
"""Dispatched with the amended :class:`Case`: the modlog edits its entry."""


@app_commands.guild_only()
class RecordCommands(commands.Cog, name="Moderation records"):
    """The case log, warnings and notes, for moderators."""

    def __init__(
        self,
        bot: FleetBot[ModOptions],
        cases: CaseStore,
        warnings: WarningService,
        notes: NoteStore,
    ) -> None:
        self.bot = bot
        self.cases = cases
        self.warnings = warnings
        self.notes = notes

    @app_commands.command(name="case", description="Show one case of the server's log.")
    @app_commands.describe(number="The case number.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def case(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        number: StoredNumber,
    ) -> None:
        found = await self.cases.get(server_id_of(interaction, SERVER_ONLY), number)
        await interaction.response.send_message(embed=case_embed(found), ephemeral=True)

    @app_commands.command(name="cases", description="A member's cases, newest first.")
    @app_commands.describe(user="Whose cases (a member, or a user who left or was banned).")
    @requires_permission(PermissionLevel.MODERATOR)
    async def list_cases(
        self, interaction: discord.Interaction[FleetBot[ModOptions]], user: discord.User
    ) -> None:
        found = await self.cases.for_member(server_id_of(interaction, SERVER_ONLY), user.id)
        if not found:
            await interaction.response.send_message(f"{user} has no cases here.", ephemeral=True)
            return
        color = self.bot.settings.colors.info
        await interaction.response.send_message(
            embed=cases_embed(user, found, color), ephemeral=True
        )

    @app_commands.command(name="reason", description="Change a case's reason (and its modlog).")
    @app_commands.describe(number="The case number.", text="The new reason.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def reason(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        number: StoredNumber,
        text: app_commands.Range[str, 1, MAX_REASON_LENGTH],
    ) -> None:
        amended = await self.cases.amend_reason(
            server_id_of(interaction, SERVER_ONLY),
            number,
            text,
            interaction.user.id,
            datetime.now(UTC),
        )
        self.bot.dispatch(CASE_AMENDED_EVENT, amended)
        await interaction.response.send_message(
            f"✏️ Case #{amended.number}'s reason is now: {amended.reason}", ephemeral=True
        )

    @app_commands.command(name="warnings", description="A member's warnings: active and expired.")
    @app_commands.describe(user="Whose warnings.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def list_warnings(
        self, interaction: discord.Interaction[FleetBot[ModOptions]], user: discord.User
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        standing = await self.warnings.standing(guild_id, user.id)
        notes = await self.notes.for_member(guild_id, user.id)
        color = self.bot.settings.colors.warning
        await interaction.response.send_message(
            embed=standing_embed(user, standing, notes, color), ephemeral=True
        )

    @app_commands.command(name="note", description="Keep a staff note about a member.")
    @app_commands.describe(user="About whom.", text="The note (moderators only see it).")
    @requires_permission(PermissionLevel.MODERATOR)
    async def note(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        user: discord.User,
        text: app_commands.Range[str, 1, MAX_NOTE_LENGTH],
    ) -> None:
        await self.notes.add(
            server_id_of(interaction, SERVER_ONLY),
            user.id,
            interaction.user.id,
            text,
            datetime.now(UTC),
        )
        await interaction.response.send_message(
            f"📝 Noted about {user}. `/warnings` shows the notes.", ephemeral=True
        )
