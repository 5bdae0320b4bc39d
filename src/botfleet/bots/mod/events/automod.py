"""Automod on every message: the guild's compiled rules judge it, the verdict's step is taken.

The facts are read off discord.py's Message (no extra request); judging is the services'
pure computation. A step other than a plain delete (warn, timeout, kick, ban) is recorded as
a case and announced with ``mod_case_recorded`` (the modlog posts it). A warn step is a
warning of the warning service, worth a point: it counts toward the server's thresholds and
escalates as /warn does. A refusal from Discord
(the member outranks the bot, a missing permission) is logged for the operator and records
nothing, since nothing happened.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

import discord
from discord.ext import commands

from botfleet.bots.mod.events.appeals import offer_appeal_before_ban
from botfleet.bots.mod.services.automod import (
    AutomodAction,
    AutomodEngine,
    CompiledRules,
    MessageFacts,
    Verdict,
)
from botfleet.bots.mod.services.automod_rules import GuildRulesCache
from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.limits import MAX_REASON_LENGTH, CaseAction, audit_reason
from botfleet.bots.mod.services.warnings import Threshold, WarningService
from botfleet.errors import UserError
from botfleet.utils.helpers import truncate_string

if TYPE_CHECKING:
    from botfleet.bots.mod.commands.acting import Outcome
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

CASE_ACTIONS: Final = {
    AutomodAction.WARN: CaseAction.WARN,
    AutomodAction.TIMEOUT: CaseAction.TIMEOUT,
    AutomodAction.KICK: CaseAction.KICK,
    AutomodAction.BAN: CaseAction.BAN,
}


AUTOMOD_WARNING_POINTS: Final = 1
"""What one automod warning counts toward the server's thresholds."""


class Escalator(Protocol):
    """The sanction commands as automod needs them: warnings, and a crossed threshold's action."""

    warnings: WarningService

    async def escalate(
        self, member: discord.Member, threshold: Threshold, points: int, channel_id: int | None
    ) -> Outcome: ...


def message_facts(message: discord.Message, member: discord.Member) -> MessageFacts:
    """What automod judges, read off the message discord.py already parsed.

    Role ids come from the member's raw id list (``Member.roles`` would look up and sort the
    Role objects) and the time from the message id (``created_at`` builds a datetime): costs
    the automod benchmark measures on every message. The fields are passed in order: by
    keyword, the named tuple takes 0.4 µs more (a third of this function).
    """
    guild = message.guild
    return MessageFacts(
        (member.guild if guild is None else guild).id,
        message.channel.id,
        member.id,
        frozenset(member._roles),
        message.content,
        len(message.mentions) + len(message.role_mentions) + message.mention_everyone,
        ((message.id >> 22) + discord.utils.DISCORD_EPOCH) / 1000,
    )


def is_staff(member: discord.Member) -> bool:
    """Members Discord's own AutoMod never acts on: administrators and server managers."""
    permissions = member.guild_permissions
    return permissions.administrator or permissions.manage_guild


class AutomodEvents(commands.Cog, name="Automod"):
    """Judges members' messages in servers and takes the step their rule's chain gives."""

    def __init__(
        self,
        bot: FleetBot[ModOptions],
        rules: GuildRulesCache,
        engine: AutomodEngine,
        cases: CaseStore,
        sanctions: Escalator,
    ) -> None:
        self.bot = bot
        self.rules = rules
        self.engine = engine
        self.cases = cases
        self.sanctions = sanctions

    async def cog_load(self) -> None:
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """Judge a message as it arrives (a message hook: no task per message); the step of
        a broken rule, or reading rules this process has not cached, is left to a task."""
        member = message.author
        if not isinstance(member, discord.Member) or member.bot or message.webhook_id:
            return None
        if message.is_system():  # e.g. Discord's AutoMod alert, written as the member it flags
            return None
        if is_staff(member):
            return None
        rules = self.rules.fresh(member.guild.id)
        if rules is None:
            return self._judge_when_read(message, member)
        return self._judge(message, member, rules)

    async def _judge_when_read(self, message: discord.Message, member: discord.Member) -> None:
        step = self._judge(message, member, await self.rules.get(member.guild.id))
        if step is not None:
            await step

    def _judge(
        self, message: discord.Message, member: discord.Member, rules: CompiledRules
    ) -> Coroutine[Any, Any, None] | None:
        verdict = self.engine.judge(message_facts(message, member), rules)
        return None if verdict is None else self.enforce(message, member, verdict)

    async def enforce(
        self, message: discord.Message, member: discord.Member, verdict: Verdict
    ) -> None:
        """Delete the message if the step says so, take the step, record it as a case."""
        step = verdict.step
        reason = truncate_string(f"Automod ({verdict.kind}): {verdict.reason}", MAX_REASON_LENGTH)
        if step.delete or step.action is AutomodAction.DELETE:
            try:
                await message.delete()
            except discord.NotFound:
                pass  # deleted already, by its author or a moderator
            except discord.HTTPException as error:
                log.warning(
                    "automod cannot delete message %d in channel %d: %s",
                    message.id,
                    message.channel.id,
                    error,
                )
        action = CASE_ACTIONS.get(step.action)
        if action is None:
            return
        bot_user = self.bot.user
        if bot_user is None:
            return  # messages arrive only once logged in
        if step.action is AutomodAction.WARN:
            await self._warn(message, member, reason, bot_user.id)
            return
        audit = audit_reason(bot_user.name, None, reason)
        until = None
        try:
            if step.action is AutomodAction.TIMEOUT and step.duration is not None:
                until = datetime.now(UTC) + step.duration
                await member.timeout(step.duration, reason=audit)
            elif step.action is AutomodAction.KICK:
                await member.kick(reason=audit)
            elif step.action is AutomodAction.BAN:
                await offer_appeal_before_ban(self.bot, member, reason)
                await member.ban(reason=audit, delete_message_seconds=0)
        except discord.HTTPException as error:
            log.warning(
                "automod cannot %s member %d in guild %d: %s",
                step.action.value,
                member.id,
                member.guild.id,
                error,
            )
            return
        new = NewCase(
            guild_id=member.guild.id,
            action=action,
            target_id=member.id,
            target_name=str(member),
            moderator_id=bot_user.id,
            reason=reason,
            until=until,
            channel_id=message.channel.id,
        )
        case = await self.cases.create(new, datetime.now(UTC))
        log.info(
            "automod case #%d in guild %d: %s %d (%s, strike %d)",
            case.number,
            case.guild_id,
            action.value,
            member.id,
            verdict.kind,
            verdict.strike,
        )
        self.bot.dispatch("mod_case_recorded", case)

    async def _warn(
        self, message: discord.Message, member: discord.Member, reason: str, bot_id: int
    ) -> None:
        """Tell the member, add the warning's point, and escalate when a threshold is crossed."""
        try:
            await self._tell(message, member, reason)
        except discord.HTTPException as error:
            log.warning(
                "automod cannot warn member %d in channel %d: %s",
                member.id,
                message.channel.id,
                error,
            )
            return
        guild = member.guild
        outcome = await self.sanctions.warnings.warn(
            guild.id,
            member.id,
            str(member),
            bot_id,
            reason=reason,
            points=AUTOMOD_WARNING_POINTS,
            channel_id=message.channel.id,
        )
        log.info(
            "automod case #%d in guild %d: warn %d (%d active points)",
            outcome.case.number,
            guild.id,
            member.id,
            outcome.points_after,
        )
        self.bot.dispatch("mod_case_recorded", outcome.case)
        threshold = outcome.escalation
        if threshold is None:
            return
        try:
            await self.sanctions.escalate(
                member, threshold, outcome.points_after, message.channel.id
            )
        except UserError:
            return  # logged by the escalation; the warning stands

    async def _tell(self, message: discord.Message, member: discord.Member, reason: str) -> None:
        """A warning is said where the member wrote, to them alone."""
        mentions = discord.AllowedMentions(everyone=False, roles=False, users=[member])
        await message.channel.send(
            f"⚠️ {member.mention}, warned: {reason}.", allowed_mentions=mentions
        )
