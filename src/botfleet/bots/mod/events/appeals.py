"""Ban appeals: the DM that offers one, the form's arrival in the staff channel, the decision.

A banned member shares no server with the bot any more, and Discord refuses a DM to such a
user: the offer goes out before the ban (:meth:`AppealEvents.offer`, for every ban the bot
makes), and the decision is written into that DM by editing it, which Discord allows. An
accepted appeal unbans (the bot's own unban is no new audit-log case), lifts the ban in force
(and a tempban's timer), amends the ban's case and records the unban as a case.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.bots.mod.services.appeals import AppealStatus, AppealStore, NewAppeal
from botfleet.bots.mod.services.cases import Case, CaseStore, NewCase
from botfleet.bots.mod.services.limits import MAX_REASON_LENGTH, CaseAction, audit_reason
from botfleet.bots.mod.services.sanctions import BanService
from botfleet.bots.mod.views.appeals import (
    COG_NAME,
    AppealButton,
    DecisionButton,
    appeal_offer_view,
    decision_view,
)
from botfleet.core.answers import answer_in_time
from botfleet.core.errors import refuse, reply_ephemeral
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed, truncate_string

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

BAN_ACTIONS: Final = frozenset({CaseAction.BAN, CaseAction.TEMPBAN})
APPEAL_LINE: Final = "If you think this is a mistake, press **Appeal** and tell the staff why."
NO_PINGS = discord.AllowedMentions.none()


async def offer_appeal_before_ban(
    bot: FleetBot[ModOptions], member: discord.Member, reason: str
) -> None:
    """DM the appeal button where appeals are on; before the ban, since DMs are refused after."""
    appeals = bot.get_cog(COG_NAME)
    if isinstance(appeals, AppealEvents):
        await appeals.offer(member, reason)


async def appeal_offer_for(bot: FleetBot[ModOptions], guild_id: int) -> discord.ui.View | None:
    """The appeal button for the DM of a ban where the server takes appeals, else None."""
    appeals = bot.get_cog(COG_NAME)
    if isinstance(appeals, AppealEvents) and await appeals.store.channel(guild_id) is not None:
        return appeal_offer_view(guild_id)
    return None


class AppealEvents(commands.Cog, name=COG_NAME):
    """Offers appeals, takes them to the staff, and carries out the staff's decision."""

    def __init__(
        self,
        bot: FleetBot[ModOptions],
        store: AppealStore,
        cases: CaseStore,
        bans: BanService,
    ) -> None:
        self.bot = bot
        self.store = store
        self.cases = cases
        self.bans = bans

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AppealButton, DecisionButton)

    async def offer(self, member: discord.Member, reason: str) -> None:
        """DM the member an appeal button, before the ban; nothing where appeals are off."""
        if await self.store.channel(member.guild.id) is None:
            return
        embed = create_embed(
            f"You are being banned from {member.guild.name}",
            f"Reason: {truncate_string(reason, 1000)}\n\n{APPEAL_LINE}",
            self.bot.settings.colors.error,
        )
        try:
            await member.send(embed=embed, view=appeal_offer_view(member.guild.id))
        except discord.HTTPException as error:
            log.info("no appeal offer to %d (guild %d): %s", member.id, member.guild.id, error)

    async def check_can_appeal(self, interaction: discord.Interaction[Any], guild_id: int) -> bool:
        """Whether the presser may open the form; tells them why not."""
        guild = self.bot.get_guild(guild_id)
        if guild is None or await self.store.channel(guild_id) is None:
            await refuse(interaction, "That server takes no appeals any more.")
            return False
        try:
            await guild.fetch_ban(interaction.user)
        except discord.NotFound:
            await refuse(interaction, f"You are not banned from {guild.name}.")
            return False
        except discord.HTTPException as error:  # the bot lost Ban Members, or Discord failed
            log.warning("cannot read bans of guild %d for an appeal: %s", guild_id, error)
            await reply_ephemeral(
                interaction,
                f"I can't check your ban in {guild.name} just now, so no appeal can be sent. "
                "Press **Appeal** again later, or reach the staff another way.",
            )
            return False
        return True

    async def submit(self, interaction: discord.Interaction[Any], guild_id: int, text: str) -> None:
        """Store the appeal and post it to the staff channel with its decision buttons."""
        guild = self.bot.get_guild(guild_id)
        channel_id = await self.store.channel(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None and channel_id else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            log.warning("appeal for guild %d has no staff channel to go to", guild_id)
            await reply_ephemeral(interaction, "That server takes no appeals any more.")
            return
        # Storing it and posting it to the staff can outlast Discord's 3 s for a first answer.
        async with answer_in_time(interaction, "appeal receipt", ephemeral=True) as answer:
            await answer.send(await self._file(interaction, guild, channel, text))

    async def _file(
        self,
        interaction: discord.Interaction[Any],
        guild: discord.Guild,
        channel: discord.TextChannel,
        text: str,
    ) -> str:
        """Store the appeal and post it to the staff; what the member is told (the receipt,
        or why nothing was sent)."""
        user = interaction.user
        case = await self._ban_case(guild.id, user.id)
        source = interaction.message
        new = NewAppeal(
            guild.id,
            user.id,
            case.number if case is not None else None,
            text,
            source.channel.id if source is not None else None,
            source.id if source is not None else None,
        )
        try:
            appeal = await self.store.open(new, datetime.now(UTC))
        except UserError as refusal:  # sent already (a second submit of the same form too)
            log.info("appeal by %d to guild %d refused: %s", user.id, guild.id, refusal)
            return str(refusal)
        fields = [("Member", f"{user} ({user.id})", True)]
        if case is not None:
            fields.append(("Case", f"#{case.number}: {case.reason or 'no reason given'}", False))
        fields.append(("Appeal", truncate_string(appeal.text, 1024), False))
        embed = create_embed(
            f"Ban appeal #{appeal.id}", None, self.bot.settings.colors.primary, fields=fields
        )
        try:
            posted = await channel.send(
                embed=embed, view=decision_view(appeal.id), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            # Kept, it would wait for a decision no staff can see, and refuse the member's
            # next try as "with the staff already".
            await self.store.withdraw(appeal.id)
            log.warning(
                "appeal by %d could not reach staff channel %d of guild %d: %s",
                user.id,
                channel.id,
                guild.id,
                error,
            )
            return (
                f"Your appeal could not reach the staff of {guild.name} just now (I can't post "
                "in their appeals channel), so nothing was kept. Press **Appeal** again later, "
                "or reach the staff another way."
            )
        await self.store.attach_staff_message(appeal.id, posted.id)
        log.info("appeal #%d by %d in guild %d", appeal.id, user.id, guild.id)
        return (
            f"Your appeal went to the staff of {guild.name}. This message will show their answer."
        )

    async def _ban_case(self, guild_id: int, user_id: int) -> Case | None:
        for case in await self.cases.for_member(guild_id, user_id):
            if case.action in BAN_ACTIONS:
                return case
        return None

    async def decide(
        self, interaction: discord.Interaction[Any], appeal_id: int, accept: bool
    ) -> None:
        """Accept (unban, amend the case, record the unban) or deny; once only.

        The decision edits the staff message the buttons are on. The unban, the ban's case and
        the unban's case can outlast Discord's 3 s (a 429 storm on the unban): the answer then
        acknowledges the press and notes the wait to the presser alone."""
        guild = interaction.guild
        status = AppealStatus.ACCEPTED if accept else AppealStatus.DENIED
        now = datetime.now(UTC)
        moderator = interaction.user
        async with answer_in_time(interaction, "appeal decision", updates_message=True) as answer:
            appeal = (
                await self.store.decide(appeal_id, status, moderator.id, now, guild_id=guild.id)
                if guild is not None
                else None
            )
            if appeal is None or guild is None:
                await answer.refuse("That appeal was decided already, or is not this server's.")
                return
            if accept:
                try:
                    await self._unban(guild, appeal.user_id, appeal.case_number, moderator, now)
                except discord.HTTPException as error:
                    # Decided first, so two staff accepting at once unban once; a refused unban
                    # undoes the decision, so the appeal can still be accepted (or denied).
                    await self.store.reopen(appeal.id)
                    log.warning(
                        "appeal #%d: unban in guild %d failed: %s", appeal.id, guild.id, error
                    )
                    await answer.refuse(
                        f"Discord refused the unban ({error.text or error.status}), so the "
                        "appeal stays open. Check that I have **Ban Members**, then accept it "
                        "again."
                    )
                    return
            verdict = "accepted" if accept else "denied"
            log.info("appeal #%d %s by %d in guild %d", appeal.id, verdict, moderator.id, guild.id)
            embed = (
                interaction.message.embeds[0]
                if interaction.message and interaction.message.embeds
                else None
            )
            if embed is not None:
                embed.add_field(
                    name="Decision", value=f"{verdict.capitalize()} by {moderator.mention}"
                )
            await answer.send(embed=embed, view=None)
        await self._tell_member(appeal.dm_channel_id, appeal.dm_message_id, guild.name, accept)

    async def _unban(
        self,
        guild: discord.Guild,
        user_id: int,
        case_number: int | None,
        moderator: discord.abc.User,
        now: datetime,
    ) -> None:
        reason = f"Ban appeal accepted by {moderator.name}"
        with contextlib.suppress(discord.NotFound):  # unbanned by hand meanwhile
            await guild.unban(
                discord.Object(user_id), reason=audit_reason(moderator.name, None, reason)
            )
        await self.bans.lifted(guild.id, user_id)
        if case_number is not None:
            ban = await self.cases.get(guild.id, case_number)
            amended = f"{ban.reason or 'no reason given'} (appeal accepted by {moderator.name})"
            await self.cases.amend_reason(
                guild.id,
                case_number,
                truncate_string(amended, MAX_REASON_LENGTH),
                moderator.id,
                now,
            )
        user = self.bot.get_user(user_id)
        new = NewCase(
            guild.id,
            CaseAction.UNBAN,
            user_id,
            str(user) if user else f"user {user_id}",
            moderator.id,
            reason,
        )
        case = await self.cases.create(new, now)
        self.bot.dispatch("mod_case_recorded", case)

    async def _tell_member(
        self, channel_id: int | None, message_id: int | None, guild_name: str, accepted: bool
    ) -> None:
        """Write the decision into the DM that offered the appeal."""
        if channel_id is None or message_id is None:
            return
        text = (
            f"✅ Your appeal to {guild_name} was accepted: you may join again."
            if accepted
            else f"❌ Your appeal to {guild_name} was denied."
        )
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=text, view=None)
        except discord.HTTPException as error:
            log.info("cannot tell the appeal's decision in DM %d: %s", channel_id, error)
