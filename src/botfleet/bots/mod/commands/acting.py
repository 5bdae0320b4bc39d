"""Taking one moderation action: checks, the DM, the case, the call to Discord, the modlog.

Every action goes the same way, so every command gets the same guarantees: refused before
anything happens when the moderator or the bot may not act; the member told first by direct
message where the server wants it (closed DMs do not stop the action); the Discord call made
with an audit-log reason naming the moderator and the case; the case kept only when Discord
accepted the action; ``mod_case_recorded`` dispatched for the modlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

import discord

from botfleet.bots.mod.events.appeals import (
    APPEAL_LINE,
    BAN_ACTIONS,
    appeal_offer_for,
    offer_appeal_before_ban,
)
from botfleet.bots.mod.services.cases import Case, NewCase
from botfleet.bots.mod.services.checks import Party, Scene, check_action
from botfleet.bots.mod.services.limits import CaseAction, audit_reason, check_reason
from botfleet.bots.mod.services.patterns import PatternSet
from botfleet.bots.mod.services.recording import CaseRecorder
from botfleet.errors import UserError
from botfleet.utils.text import discord_timestamp

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

CASE_RECORDED_EVENT: Final = "mod_case_recorded"
"""Dispatched with the :class:`Case` once it is stored (``on_mod_case_recorded``)."""

CANNOT_DM: Final = 50007
"""Discord's "Cannot send messages to this user": their DMs are closed to the bot."""

DM_VERBS: Final[dict[CaseAction, str]] = {
    CaseAction.WARN: "You were warned in",
    CaseAction.TIMEOUT: "You were timed out in",
    CaseAction.KICK: "You were kicked from",
    CaseAction.BAN: "You were banned from",
    CaseAction.TEMPBAN: "You were banned for a while from",
    CaseAction.SOFTBAN: "You were kicked, and your recent messages deleted, from",
}
"""The actions a member is told about by DM, and how the message opens."""

Perform = Callable[[str], Awaitable[None]]
"""The call to Discord, given the audit-log reason."""


async def moderator_pattern(options: ModOptions, source: str | None) -> PatternSet | None:
    """A regex a moderator typed (a filter of /purge, /massban), checked in a thread.

    Checking tries it on hostile texts, which takes a while: off the event loop.
    """
    if source is None:
        return None
    return await asyncio.to_thread(PatternSet, [source], options.pattern_timeout)


def party_of(member: discord.Member) -> Party:
    """What the checks need to know about a member."""
    top = member.top_role
    return Party(
        id=member.id,
        name=member.display_name,
        top_role_position=top.position,
        permissions=frozenset(name for name, held in member.guild_permissions if held),
        role_ids=frozenset(role.id for role in member.roles),
        top_role_managed=top.is_bot_managed() or top.is_integration(),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: its case, and whether the member got the DM (None: none sent)."""

    case: Case
    dm_delivered: bool | None

    def dm_note(self) -> str:
        """A line for the moderator when the DM could not be delivered."""
        if self.dm_delivered is False:
            return "\n-# I couldn't DM them first (their direct messages are closed to me)."
        return ""


def dm_text(
    guild: discord.Guild, action: CaseAction, reason: str | None, until: datetime | None
) -> str | None:
    """The direct message an action sends its member, or None for actions that send none."""
    opening = DM_VERBS.get(action)
    if opening is None:
        return None
    lines = [f"{opening} **{guild.name}**."]
    lines.append(f"Reason: {reason}" if reason else "No reason was given.")
    if until is not None:
        lines.append(f"Until: {discord_timestamp(until)}")
    return "\n".join(lines)


class Moderation:
    """Carries out actions for the commands and for escalations."""

    def __init__(self, bot: FleetBot[ModOptions], recorder: CaseRecorder) -> None:
        self.bot = bot
        self.recorder = recorder

    def check(
        self,
        guild: discord.Guild,
        action: CaseAction,
        moderator: discord.Member,
        target: discord.Member | None,
    ) -> None:
        """Refuse with an explanation when ``moderator`` (or the bot) may not act on ``target``."""
        check_action(
            Scene(
                action=action,
                moderator=party_of(moderator),
                bot=party_of(guild.me),
                owner_id=guild.owner_id or 0,
                target=party_of(target) if target is not None else None,
                protected_role_ids=self.bot.options.protected_role_ids,
            )
        )

    async def act(
        self,
        guild: discord.Guild,
        action: CaseAction,
        moderator: discord.Member,
        target: discord.Member | discord.User,
        *,
        reason: str | None,
        perform: Perform,
        until: datetime | None = None,
        channel_id: int | None = None,
    ) -> Outcome:
        """Check, DM, record and perform ``action``; the stored case and whether the DM went."""
        member = target if isinstance(target, discord.Member) else guild.get_member(target.id)
        self.check(guild, action, moderator, member)
        checked = check_reason(reason)
        appeal = None
        if action in BAN_ACTIONS and member is not None:
            appeal = await appeal_offer_for(self.bot, guild.id)
        text, delivered = await self.tell(guild, member, action, checked, until, appeal=appeal)
        if appeal is not None and text is None and member is not None:  # no DM of the action
            await offer_appeal_before_ban(self.bot, member, checked or "No reason given.")
        new = NewCase(
            guild_id=guild.id,
            action=action,
            target_id=target.id,
            target_name=str(target),
            moderator_id=moderator.id,
            reason=checked,
            until=until,
            channel_id=channel_id,
            dm_text=text if delivered else None,
        )
        try:
            async with self.recorder.recording(new) as case:
                await perform(audit_reason(str(moderator), case.number, checked))
        except discord.Forbidden as exc:
            log.warning(
                "Discord refused the %s of %d in guild %d: %s", action, target.id, guild.id, exc
            )
            raise UserError(
                f"Discord refused to {action.value} {target}: my permissions or role position "
                "changed. Nothing was recorded."
            ) from exc
        self.bot.dispatch(CASE_RECORDED_EVENT, case)
        return Outcome(case, delivered)

    async def tell(
        self,
        guild: discord.Guild,
        member: discord.Member | None,
        action: CaseAction,
        reason: str | None,
        until: datetime | None,
        *,
        appeal: discord.ui.View | None = None,
    ) -> tuple[str | None, bool | None]:
        """DM a member what is about to happen, where configured: the text, and if it went.

        A ban's DM carries the ``appeal`` button where the server takes appeals: one DM.
        """
        text = dm_text(guild, action, reason, until) if self.bot.options.dm_on_action else None
        if text is None or member is None:
            return None, None
        if appeal is not None:
            text = f"{text}\n\n{APPEAL_LINE}"
        return text, await self._direct_message(member, text, appeal)

    async def _direct_message(
        self, member: discord.Member, text: str, view: discord.ui.View | None
    ) -> bool:
        """Send the DM; False (and a log line) when the member's DMs are closed."""
        try:
            if view is None:
                await member.send(text)
            else:
                await member.send(text, view=view)
        except discord.Forbidden as exc:
            if exc.code != CANNOT_DM:
                raise
            log.info("member %d has closed DMs; acting without telling them", member.id)
            return False
        return True
