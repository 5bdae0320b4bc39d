"""Discord's own AutoMod acted: its blocks and timeouts become cases.

Discord sends one AUTO_MODERATION_ACTION_EXECUTION per action of a rule that fired (the
execution intent, with Manage Server); alerts are Discord's own post and make no case. The
rule's creator stands as the moderator, since they set the rule.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.mod.events.audit_log import name_of
from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.limits import MAX_REASON_LENGTH, CaseAction
from botfleet.utils.helpers import truncate_string

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class NativeAutomodEvents(commands.Cog, name="Discord AutoMod"):
    """Records what Discord's AutoMod did as cases."""

    def __init__(self, bot: FleetBot[ModOptions], cases: CaseStore) -> None:
        self.bot = bot
        self.cases = cases

    @commands.Cog.listener()
    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        kind = execution.action.type
        until = None
        if kind is discord.AutoModRuleActionType.block_message:
            action = CaseAction.BLOCK
        elif kind is discord.AutoModRuleActionType.timeout and execution.action.duration:
            action = CaseAction.TIMEOUT
            until = datetime.now(UTC) + execution.action.duration
        else:
            return
        rule_name, moderator_id = await self._rule_of(execution)
        matched = f": matched “{execution.matched_keyword}”" if execution.matched_keyword else ""
        new = NewCase(
            guild_id=execution.guild_id,
            action=action,
            target_id=execution.user_id,
            target_name=await name_of(
                self.bot, execution.member or discord.Object(execution.user_id)
            ),
            moderator_id=moderator_id,
            reason=truncate_string(
                f"Discord AutoMod rule “{rule_name}”{matched}", MAX_REASON_LENGTH
            ),
            until=until,
            channel_id=execution.channel_id,
        )
        case = await self.cases.create(new, datetime.now(UTC))
        log.info(
            "case #%d in guild %d: Discord AutoMod %s of %d",
            case.number,
            case.guild_id,
            action.value,
            execution.user_id,
        )
        self.bot.dispatch("mod_case_recorded", case)

    async def _rule_of(self, execution: discord.AutoModAction) -> tuple[str, int]:
        """The rule's name and creator; the bot itself when Discord will not say."""
        fallback = self.bot.user.id if self.bot.user is not None else 0
        try:
            rule = await execution.fetch_rule()
        except discord.HTTPException as error:
            log.warning(
                "AutoMod rule %d of guild %d unreadable: %s",
                execution.rule_id,
                execution.guild_id,
                error,
            )
            return f"#{execution.rule_id}", fallback
        return rule.name, rule.creator_id
