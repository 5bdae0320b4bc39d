"""What the Mod Bot's timers do when they fire: end tempbans and note expired warnings.

Timers live on the shared scheduler, so they survive restarts: one overdue while the bot was
down fires as soon as it is back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.sanctions import BanService, UnbanDecision, UnbanTimer
from botfleet.bots.mod.services.warnings import WarningService
from botfleet.errors import UserError
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.bots.mod.commands.channels import ChannelCommands
    from botfleet.bots.mod.commands.sanctions import SanctionCommands
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class ModTimerEvents(commands.Cog, name="Moderation timers"):
    """Lifts tempbans on time (never a later ban), ends lockdowns, follows warnings' expiry."""

    def __init__(
        self,
        bot: FleetBot,
        sanctioner: SanctionCommands,
        lockdowns: ChannelCommands,
        stores: tuple[BanService, WarningService, ModChannelStore],
    ) -> None:
        self.bot = bot
        self.sanctioner = sanctioner
        self.lockdowns = lockdowns
        self.bans, self.warnings, self.channels = stores

    @commands.Cog.listener()
    async def on_mod_unban_timer_complete(self, timer: ScheduledTimer) -> None:
        unban = UnbanTimer.from_timer(timer)
        decision = await self.bans.decide(unban)
        if decision is not UnbanDecision.UNBAN:
            log.info(
                "tempban of case #%d in guild %d not lifted: %s",
                unban.case_number,
                unban.guild_id,
                decision.value,
            )
            return
        guild = self.bot.get_guild(unban.guild_id)
        if guild is None:
            log.warning("tempban of case #%d: guild %d is gone", unban.case_number, unban.guild_id)
            return
        try:
            user = await self.bot.fetch_user(unban.user_id)
            await self.sanctioner.sanction(
                guild,
                CaseAction.UNBAN,
                guild.me,
                user,
                reason=f"Tempban of case #{unban.case_number} ended",
            )
        except discord.NotFound:
            log.info(
                "tempban of case #%d in guild %d was lifted outside the bot already",
                unban.case_number,
                unban.guild_id,
            )
            await self.bans.lifted(unban.guild_id, unban.user_id)
        except (discord.HTTPException, UserError) as exc:
            log.info("unban of case #%d failed, trying later: %s", unban.case_number, exc)
            await self.bans.retry_later(unban, datetime.now(UTC))

    @commands.Cog.listener()
    async def on_mod_warning_expiry_timer_complete(self, timer: ScheduledTimer) -> None:
        warning_id = timer.payload.get("warning_id")
        if not isinstance(warning_id, int):
            log.error("warning expiry timer %d has a malformed payload", timer.id)
            return
        warning = await self.warnings.expired(warning_id)
        if warning is not None:
            log.info(
                "warning %d of member %d in guild %d expired (%d point(s) no longer count)",
                warning.id,
                warning.user_id,
                warning.guild_id,
                warning.points,
            )

    @commands.Cog.listener()
    async def on_mod_lockdown_end_timer_complete(self, timer: ScheduledTimer) -> None:
        guild_id = timer.payload.get("guild_id")
        lockdown_id = timer.payload.get("lockdown_id")
        if not isinstance(guild_id, int) or not isinstance(lockdown_id, int):
            log.error("lockdown timer %d has a malformed payload", timer.id)
            return
        if not await self.channels.claim_lockdown_end(guild_id, lockdown_id):
            return  # ended by hand, or a later lockdown replaced it
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            log.warning("lockdown of guild %d ended, but the guild is gone", guild_id)
            return
        channels = await self.lockdowns.lockdown_channels_of(guild)
        opened = await self.lockdowns.end_lockdown(guild, channels, str(guild.me))
        log.info("lockdown of guild %d ended on time: %d channel(s) opened", guild_id, opened)
