"""``/xp give|take|reset``: administrators change members' XP, with an audit line each."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands

from botfleet.auth.permissions import requires_permission
from botfleet.gamification.discord.commands.common import NO_PINGS, SERVER_ONLY, not_a_bot
from botfleet.gamification.discord.role_sync import RoleSyncer
from botfleet.gamification.store import AdjustmentResult
from botfleet.gamification.xp_admin import MAX_ADMIN_AMOUNT
from botfleet.utils.places import server_of

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


log = logging.getLogger(__name__)


MAX_REASON: Final = 200


@app_commands.guild_only()
class XPAdmin(app_commands.Group, name="xp", description="Give, take or reset members' XP."):
    """Admin XP changes; each one is written to the audit log."""

    def __init__(self, bot: FleetBot, syncer: RoleSyncer) -> None:
        super().__init__()
        self.bot = bot
        self.syncer = syncer

    async def _answer(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        result: AdjustmentResult,
    ) -> None:
        applied = await self.syncer.sync_member(member)
        roles = ""
        if applied:
            changes = [f"+{role.mention}" for role in applied.added] + [
                f"−{role.mention}" for role in applied.removed
            ]
            roles = f"\nReward roles: {' '.join(changes)}"
        await interaction.followup.send(
            f"{member.mention} now has **{result.xp_after:,} XP** (level {result.level_after}; "
            f"was {result.xp_before:,} XP, level {result.level_before}).{roles}",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @app_commands.command(name="give", description="Give a member XP in this server.")
    @app_commands.describe(
        member="Who receives the XP.",
        amount=f"How much XP to give (1 to {MAX_ADMIN_AMOUNT:,}).",
        reason="Why, for the audit log.",
    )
    @requires_permission("admin")
    async def give(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        amount: app_commands.Range[int, 1, MAX_ADMIN_AMOUNT],
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        not_a_bot(member)
        guild = server_of(interaction, SERVER_ONLY)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.give_xp(
            guild.id, member.id, amount, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)

    @app_commands.command(name="take", description="Take XP away from a member in this server.")
    @app_commands.describe(
        member="Who loses the XP.",
        amount=f"How much XP to take (1 to {MAX_ADMIN_AMOUNT:,}); never below 0.",
        reason="Why, for the audit log.",
    )
    @requires_permission("admin")
    async def take(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        amount: app_commands.Range[int, 1, MAX_ADMIN_AMOUNT],
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        not_a_bot(member)
        guild = server_of(interaction, SERVER_ONLY)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.take_xp(
            guild.id, member.id, amount, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)

    @app_commands.command(
        name="reset", description="Reset a member to 0 XP and level 1 in this server."
    )
    @app_commands.describe(member="Whose XP to reset.", reason="Why, for the audit log.")
    @requires_permission("admin")
    async def reset(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        not_a_bot(member)
        guild = server_of(interaction, SERVER_ONLY)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.reset_xp(
            guild.id, member.id, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)
