"""/warn, /timeout, /untimeout, /kick, /ban, /tempban, /softban, /unban: acting on members.

Top-level commands, as Discord's own member menu, Dyno and Carl-bot name them: a moderator
types ``/ban`` in the middle of an incident and should not have to remember a group first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.bots.mod.commands.acting import (
    CASE_RECORDED_EVENT,
    Moderation,
    Outcome,
    Perform,
    moderator_pattern,
)
from botfleet.bots.mod.services.limits import (
    MAX_REASON_LENGTH,
    CaseAction,
    action_duration,
    check_reason,
)
from botfleet.bots.mod.services.massban import (
    MassbanClaims,
    MassbanFilter,
    MemberFacts,
    pick_members,
)
from botfleet.bots.mod.services.purge import SCAN_LIMIT
from botfleet.bots.mod.services.sanctions import BanService
from botfleet.bots.mod.services.warnings import (
    MAX_PRESET_NAME_LENGTH,
    Threshold,
    WarningService,
)
from botfleet.bots.mod.views.massban import MassbanConfirm, dry_run_embed
from botfleet.core.answers import TimelyAnswer, answer_in_time
from botfleet.errors import UserError
from botfleet.utils.durations import parse_time
from botfleet.utils.places import server_of
from botfleet.utils.text import discord_timestamp, truncate_string

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Moderation happens in a server; use this command in one."
NO_PINGS: Final = discord.AllowedMentions.none()
USER_ID: Final = re.compile(r"^\s*(?:<@!?)?(\d{15,20})>?\s*$")

Reason = app_commands.Range[str, 1, MAX_REASON_LENGTH]


def moderator_of(interaction: discord.Interaction[FleetBot[ModOptions]]) -> discord.Member:
    """The member who ran the command, in the server it was run in."""
    server_of(interaction, SERVER_ONLY)
    if not isinstance(interaction.user, discord.Member):
        raise UserError(SERVER_ONLY)
    return interaction.user


class DurationTransformer(app_commands.Transformer):
    """A duration typed for an action ("1h30m", "2w"), bounded by Discord for that action."""

    def __init__(self, action: CaseAction) -> None:
        self.action = action

    async def transform(self, interaction: discord.Interaction, value: str, /) -> timedelta:
        return action_duration(value, self.action)


class UserIdTransformer(app_commands.Transformer):
    """A user by id or mention, member of the server or not; refused when Discord knows none."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> discord.User:
        match = USER_ID.match(value)
        if match is None:
            raise UserError(f"“{value[:40]}” is not a user id; copy it from their profile.")
        user_id = int(match.group(1))
        try:
            return await interaction.client.fetch_user(user_id)
        except discord.NotFound:
            raise UserError(f"No Discord user has the id {user_id}.") from None


TimeoutDuration = app_commands.Transform[timedelta, DurationTransformer(CaseAction.TIMEOUT)]
TempbanDuration = app_commands.Transform[timedelta, DurationTransformer(CaseAction.TEMPBAN)]
UserById = app_commands.Transform[discord.User, UserIdTransformer]


def done_text(emoji: str, verb: str, target: discord.abc.User, outcome: Outcome) -> str:
    """The public answer to an action: what, to whom, which case, and whether the DM went."""
    until = outcome.case.until
    ending = f" until {discord_timestamp(until)}" if until is not None else ""
    return (
        f"{emoji} {verb} **{discord.utils.escape_markdown(str(target))}**{ending} "
        f"(case #{outcome.case.number}).{outcome.dm_note()}"
    )


@app_commands.guild_only()
class SanctionCommands(commands.Cog, name="Moderation"):
    """Acting on members, each action a case."""

    def __init__(
        self,
        bot: FleetBot[ModOptions],
        moderation: Moderation,
        warnings: WarningService,
        bans: BanService,
        massbans: MassbanClaims,
    ) -> None:
        self.bot = bot
        self.moderation = moderation
        self.warnings = warnings
        self.bans = bans
        self.massbans = massbans
        """Shared with the raid alert's massban: one massban at a time per guild, whichever."""

    @app_commands.command(name="warn", description="Warn a member, with a preset or points.")
    @app_commands.describe(
        member="Who to warn.",
        reason="Why (they are told); or pick a preset.",
        preset="A ready-made reason with its points.",
        points="How much the warning counts (1 to 100; a preset sets its own).",
    )
    @requires_permission(PermissionLevel.MODERATOR)
    async def warn(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        reason: Reason | None = None,
        preset: app_commands.Range[str, 1, MAX_PRESET_NAME_LENGTH] | None = None,
        points: app_commands.Range[int, 1, 100] | None = None,
    ) -> None:
        moderator = moderator_of(interaction)
        guild = member.guild
        settings = await self.warnings.settings(guild.id)
        if preset is not None:
            chosen = settings.preset(preset)
            reason, points = reason or chosen.reason, points or chosen.points
        if reason is None:
            raise UserError("A warning needs a reason or a preset: the member is told why.")
        self.moderation.check(guild, CaseAction.WARN, moderator, member)
        # The DM, the database and Discord's calls can outlast the first answer's 3 s; the
        # checks' refusals came before, so they stay private.
        async with answer_in_time(interaction, "warning confirmation") as answer:
            dm_sent, delivered = await self.moderation.tell(
                guild, member, CaseAction.WARN, check_reason(reason), None
            )
            outcome = await self.warnings.warn(
                guild.id,
                member.id,
                str(member),
                moderator.id,
                reason=reason,
                points=points or 1,
                channel_id=interaction.channel_id,
                dm_text=dm_sent if delivered else None,
            )
            self.bot.dispatch(CASE_RECORDED_EVENT, outcome.case)
            note = Outcome(outcome.case, delivered).dm_note()
            await answer.send(
                f"⚠️ Warned **{discord.utils.escape_markdown(str(member))}** "
                f"(case #{outcome.case.number}): {outcome.warning.points} point(s), "
                f"{outcome.points_after} active.{note}",
                allowed_mentions=NO_PINGS,
            )
        if outcome.escalation is not None:
            await self._escalate(interaction, member, outcome.escalation, outcome.points_after)

    @warn.autocomplete("preset")
    async def preset_names(
        self, interaction: discord.Interaction[FleetBot[ModOptions]], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        settings = await self.warnings.settings(interaction.guild_id)
        wanted = current.casefold()
        return [
            app_commands.Choice(name=f"{name}: {preset.reason} ({preset.points})"[:100], value=name)
            for name, preset in sorted(settings.presets.items())
            if wanted in name
        ][:25]

    async def _escalate(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        threshold: Threshold,
        points: int,
    ) -> None:
        """Carry out a crossed threshold's action and tell the moderator how it went."""
        try:
            outcome = await self.escalate(member, threshold, points, interaction.channel_id)
        except UserError as exc:
            await interaction.followup.send(
                f"⚠️ The warning crossed {threshold.points} points, but I couldn't "
                f"{threshold.action.value} them: {exc.message}",
                ephemeral=True,
            )
            return
        emoji, verb = ANSWERS[threshold.action]
        await interaction.followup.send(
            f"⏫ {threshold.points} points reached: {done_text(emoji, verb, member, outcome)}",
            allowed_mentions=NO_PINGS,
        )

    async def escalate(
        self, member: discord.Member, threshold: Threshold, points: int, channel_id: int | None
    ) -> Outcome:
        """The action a crossed threshold sets, as its own case by the bot (/warn and automod).

        A refusal (the member outranks the bot) is logged and raised as the ``UserError``.
        """
        guild = member.guild
        reason = f"Reached {points} warning points (threshold {threshold.points})"
        try:
            return await self.sanction(
                guild,
                threshold.action,
                guild.me,
                member,
                reason=reason,
                duration=threshold.duration,
                channel_id=channel_id,
            )
        except UserError as exc:
            log.warning("escalation of member %d in guild %d refused: %s", member.id, guild.id, exc)
            raise

    async def sanction(
        self,
        guild: discord.Guild,
        action: CaseAction,
        moderator: discord.Member,
        target: discord.Member | discord.User,
        *,
        reason: str | None,
        duration: timedelta | None = None,
        channel_id: int | None = None,
    ) -> Outcome:
        """Timeout, kick, ban, tempban or softban ``target``; bans and their timers recorded."""
        until = datetime.now(UTC) + duration if duration is not None else None
        perform = self._performer(guild, action, target, until)
        outcome = await self.moderation.act(
            guild,
            action,
            moderator,
            target,
            reason=reason,
            perform=perform,
            until=until,
            channel_id=channel_id,
        )
        if action in (CaseAction.BAN, CaseAction.TEMPBAN):
            await self.bans.record(
                guild.id, target.id, outcome.case.number, until if action.temporary else None
            )
        elif action in (CaseAction.SOFTBAN, CaseAction.UNBAN):
            await self.bans.lifted(guild.id, target.id)
        return outcome

    def _performer(
        self,
        guild: discord.Guild,
        action: CaseAction,
        target: discord.Member | discord.User,
        until: datetime | None,
    ) -> Perform:
        """The Discord call an action makes, given its audit-log reason."""

        async def perform(audit: str) -> None:
            if action is CaseAction.TIMEOUT or action is CaseAction.UNTIMEOUT:
                if not isinstance(target, discord.Member):
                    raise UserError(f"{target} is not a member of this server.")
                await target.timeout(until, reason=audit)
            elif action is CaseAction.KICK:
                await guild.kick(target, reason=audit)
            elif action is CaseAction.SOFTBAN:
                days = self.bot.options.softban_delete_days
                await guild.ban(target, reason=audit, delete_message_seconds=days * 86400)
                await guild.unban(target, reason=audit)
            elif action is CaseAction.UNBAN:
                await guild.unban(target, reason=audit)
            else:
                await guild.ban(target, reason=audit, delete_message_seconds=0)

        return perform

    async def _answer(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        action: CaseAction,
        target: discord.Member | discord.User,
        reason: str | None,
        duration: timedelta | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        moderator = moderator_of(interaction)
        member = target if isinstance(target, discord.Member) else guild.get_member(target.id)
        self.moderation.check(guild, action, moderator, member)
        async with answer_in_time(interaction, f"{action.value} confirmation") as answer:
            outcome = await self.sanction(
                guild,
                action,
                moderator,
                target,
                reason=reason,
                duration=duration,
                channel_id=interaction.channel_id,
            )
            emoji, verb = ANSWERS[action]
            await answer.send(done_text(emoji, verb, target, outcome), allowed_mentions=NO_PINGS)

    @app_commands.command(name="timeout", description="Time a member out (up to 28 days).")
    @app_commands.describe(member="Who.", duration="How long: 10m, 1h30m, 2d (28d at most).")
    @requires_permission(PermissionLevel.MODERATOR)
    async def timeout(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        duration: TimeoutDuration,
        reason: Reason | None = None,
    ) -> None:
        await self._answer(interaction, CaseAction.TIMEOUT, member, reason, duration)

    @app_commands.command(name="untimeout", description="End a member's timeout.")
    @app_commands.describe(member="Who.", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def untimeout(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        reason: Reason | None = None,
    ) -> None:
        if not member.is_timed_out():
            raise UserError(f"{member.display_name} is not timed out.")
        await self._answer(interaction, CaseAction.UNTIMEOUT, member, reason)

    @app_commands.command(name="kick", description="Kick a member out of the server.")
    @app_commands.describe(member="Who.", reason="Why (they are told).")
    @requires_permission(PermissionLevel.MODERATOR)
    async def kick(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        reason: Reason | None = None,
    ) -> None:
        await self._answer(interaction, CaseAction.KICK, member, reason)

    @app_commands.command(name="ban", description="Ban a user, member or not, for good.")
    @app_commands.describe(user="Who (pick them, or paste their id).", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def ban(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        user: discord.User,
        reason: Reason | None = None,
    ) -> None:
        await self._answer(interaction, CaseAction.BAN, user, reason)

    @app_commands.command(name="tempban", description="Ban a user for a while; lifted on time.")
    @app_commands.describe(user="Who.", duration="How long: 1d, 2w...", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def tempban(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        user: discord.User,
        duration: TempbanDuration,
        reason: Reason | None = None,
    ) -> None:
        await self._answer(interaction, CaseAction.TEMPBAN, user, reason, duration)

    @app_commands.command(
        name="softban", description="Kick a member and delete their recent messages."
    )
    @app_commands.describe(member="Who.", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def softban(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        member: discord.Member,
        reason: Reason | None = None,
    ) -> None:
        await self._answer(interaction, CaseAction.SOFTBAN, member, reason)

    @app_commands.command(name="unban", description="Lift a ban, by user id.")
    @app_commands.describe(user_id="The banned user's id (or mention).", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def unban(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        user_id: UserById,
        reason: Reason | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        try:
            await guild.fetch_ban(user_id)
        except discord.NotFound:
            raise UserError(f"{user_id} is not banned here.") from None
        await self._answer(interaction, CaseAction.UNBAN, user_id, reason)

    @app_commands.command(
        name="massban", description="Ban members matching filters, after a dry run."
    )
    @app_commands.describe(
        account_age="Only accounts younger than this (e.g. 1d, 2w).",
        joined="Only members who joined within this (e.g. 10m, 1h).",
        no_avatar="Only members without an avatar.",
        name="Only names matching this regular expression.",
        messages=f"Only members whose messages among this channel's last {SCAN_LIMIT} match this "
        "regular expression.",
        reason="Why (in each case).",
    )
    @requires_permission(PermissionLevel.MODERATOR)
    async def massban(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        *,
        account_age: app_commands.Range[str, 1, 40] | None = None,
        joined: app_commands.Range[str, 1, 40] | None = None,
        no_avatar: bool = False,
        name: app_commands.Range[str, 1, 300] | None = None,
        messages: app_commands.Range[str, 1, 300] | None = None,
        reason: Reason | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        moderator = moderator_of(interaction)
        self.moderation.check(guild, CaseAction.BAN, moderator, None)
        checked = check_reason(reason)
        pattern = await moderator_pattern(self.bot.options, name)
        message_pattern = await moderator_pattern(self.bot.options, messages)
        massban = MassbanFilter(
            account_younger_than=timedelta(seconds=parse_time(account_age))
            if account_age
            else None,
            joined_within=timedelta(seconds=parse_time(joined)) if joined else None,
            no_avatar=no_avatar,
            name_pattern=pattern,
            message_pattern=message_pattern,
        )
        written: dict[int, tuple[str, ...]] = {}
        if message_pattern is not None:
            channel = readable_channel(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            written = await texts_by_author(channel)
        members = [member_facts(member, written.get(member.id, ())) for member in guild.members]
        picked = await asyncio.to_thread(pick_members, members, massban, datetime.now(UTC))
        if not picked:
            raise UserError("No member matches those filters; nobody would be banned.")

        async def ban_them(answer: TimelyAnswer) -> None:
            channel_id = answer.interaction.channel_id
            with self.massbans.claim(guild.id, moderator.display_name):
                report = await self._ban_picked(guild, moderator, picked, checked, channel_id)
            await answer.send(report, allowed_mentions=NO_PINGS)

        view = MassbanConfirm(moderator.id, ban_them)
        embed = dry_run_embed(picked, self.bot.settings.colors.error)
        if interaction.response.is_done():
            view.message = await interaction.followup.send(
                embed=embed, view=view, ephemeral=True, wait=True
            )
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            view.message = await interaction.original_response()

    async def _ban_picked(
        self,
        guild: discord.Guild,
        moderator: discord.Member,
        picked: Sequence[MemberFacts],
        reason: str | None,
        channel_id: int | None,
    ) -> str:
        """Ban each picked member as its own case; what was done and what was refused.

        Members banned since the dry run (by another massban, say) are left alone: banning
        them again would record a second case for one ban.
        """
        numbers: list[int] = []
        skipped: list[str] = []
        banned = {entry.user.id async for entry in guild.bans(limit=None)}
        for facts in picked:
            if facts.id in banned:
                skipped.append(f"• {facts.display_name}: banned already")
                continue
            target = guild.get_member(facts.id) or await self.bot.fetch_user(facts.id)
            try:
                outcome = await self.sanction(
                    guild, CaseAction.BAN, moderator, target, reason=reason, channel_id=channel_id
                )
            except UserError as exc:
                skipped.append(f"• {facts.display_name}: {exc.message}")
                continue
            numbers.append(outcome.case.number)
        text = f"🔨 Massban: {len(numbers)} member(s) banned"
        if numbers:
            text += f" (cases #{numbers[0]} to #{numbers[-1]})"
        text += "."
        if skipped:
            text += f"\nSkipped {len(skipped)}:\n" + "\n".join(skipped[:10])
        return truncate_string(text, 2000)


def optional_duration(text: str | None) -> timedelta | None:
    """A duration typed for a filter, or None when the filter was left out."""
    return timedelta(seconds=parse_time(text)) if text else None


def text_channel_of(
    interaction: discord.Interaction[FleetBot[ModOptions]],
) -> discord.TextChannel:
    """The text channel a command runs in, for commands that act on one's messages."""
    channel = interaction.channel
    if not isinstance(channel, discord.TextChannel):
        raise UserError("Use this command in a text channel.")
    return channel


def readable_channel(
    interaction: discord.Interaction[FleetBot[ModOptions]],
) -> discord.TextChannel:
    """The text channel whose recent messages a message pattern reads, if the bot may read it."""
    channel = text_channel_of(interaction)
    if not channel.permissions_for(channel.guild.me).read_message_history:
        raise UserError(f"I need **Read Message History** in {channel.mention} to read messages.")
    return channel


async def texts_by_author(channel: discord.TextChannel) -> dict[int, tuple[str, ...]]:
    """Each author's texts among the channel's last :data:`SCAN_LIMIT` messages.

    Discord gives bots no message search, so a massban's message pattern reads the channel it
    runs in, as /purge does.
    """
    texts: defaultdict[int, list[str]] = defaultdict(list)
    async for message in channel.history(limit=SCAN_LIMIT):
        if message.content:
            texts[message.author.id].append(message.content)
    return {author: tuple(written) for author, written in texts.items()}


def member_facts(member: discord.Member, messages: tuple[str, ...] = ()) -> MemberFacts:
    """What a massban filter reads of a member (``messages``: their recent texts read)."""
    return MemberFacts(
        id=member.id,
        name=member.name,
        display_name=member.display_name,
        created_at=member.created_at,
        joined_at=member.joined_at,
        has_avatar=member.avatar is not None,
        is_bot=member.bot,
        messages=messages,
    )


ANSWERS: Final[dict[CaseAction, tuple[str, str]]] = {
    CaseAction.TIMEOUT: ("🔇", "Timed out"),
    CaseAction.UNTIMEOUT: ("🔊", "Ended the timeout of"),
    CaseAction.KICK: ("👢", "Kicked"),
    CaseAction.BAN: ("🔨", "Banned"),
    CaseAction.TEMPBAN: ("⏳", "Banned"),
    CaseAction.SOFTBAN: ("🧹", "Softbanned"),
    CaseAction.UNBAN: ("🕊️", "Unbanned"),
}
