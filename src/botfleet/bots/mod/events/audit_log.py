"""Actions taken outside the bot (Discord's ban dialog, a timeout by hand) become cases.

Discord announces every audit-log entry (GUILD_AUDIT_LOG_ENTRY_CREATE, with the moderation
intent and VIEW_AUDIT_LOG); the bot's own actions are skipped, since whoever made them
recorded their case already.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import discord
from discord.ext import commands

from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.limits import MAX_REASON_LENGTH, CaseAction, check_reason

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

RECORDED: Final = {
    discord.AuditLogAction.ban: CaseAction.BAN,
    discord.AuditLogAction.unban: CaseAction.UNBAN,
    discord.AuditLogAction.kick: CaseAction.KICK,
}


def case_action_of(entry: discord.AuditLogEntry) -> tuple[CaseAction, datetime | None] | None:
    """The case an entry records, with the timeout's end; None for entries that are no case."""
    action = RECORDED.get(entry.action)
    if action is not None:
        return action, None
    if entry.action is not discord.AuditLogAction.member_update:
        return None
    if not hasattr(entry.after, "timed_out_until"):
        return None  # a nickname or another change of the member
    until: datetime | None = entry.after.timed_out_until
    if until is None:
        return CaseAction.UNTIMEOUT, None
    return CaseAction.TIMEOUT, until


class AuditLogEvents(commands.Cog, name="Audit log"):
    """Records moderators' actions taken in Discord itself as cases."""

    def __init__(self, bot: FleetBot[ModOptions], cases: CaseStore) -> None:
        self.bot = bot
        self.cases = cases

    @commands.Cog.listener()
    async def on_audit_log_entry_create(self, entry: discord.AuditLogEntry) -> None:
        bot_user = self.bot.user
        if bot_user is None or entry.user_id == bot_user.id or entry.user_id is None:
            return
        recorded = case_action_of(entry)
        target = entry.target
        if recorded is None or target is None or not isinstance(target.id, int):
            return
        action, until = recorded
        new = NewCase(
            guild_id=entry.guild.id,
            action=action,
            target_id=target.id,
            target_name=await name_of(self.bot, target),
            moderator_id=entry.user_id,
            reason=check_reason(entry.reason[:MAX_REASON_LENGTH]) if entry.reason else None,
            until=until,
        )
        case = await self.cases.create(new, datetime.now(UTC))
        log.info(
            "case #%d in guild %d: %s of %d by %d in Discord itself",
            case.number,
            case.guild_id,
            action.value,
            target.id,
            entry.user_id,
        )
        self.bot.dispatch("mod_case_recorded", case)


async def name_of(bot: FleetBot[ModOptions], target: object) -> str:
    """A user's name: known already, or asked of Discord (a banned user has left)."""
    if isinstance(target, discord.abc.User):
        return str(target)
    target_id = int(getattr(target, "id", 0))
    user = bot.get_user(target_id)
    if user is None:
        try:
            user = await bot.fetch_user(target_id)
        except discord.HTTPException:
            return f"user {target_id}"
    return str(user)
