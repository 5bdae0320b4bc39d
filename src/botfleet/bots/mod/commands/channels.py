"""/purge, /slowmode, /lock, /unlock and /lockdown: moderating channels rather than members."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.bots.mod.commands.acting import moderator_pattern
from botfleet.bots.mod.commands.sanctions import (
    SERVER_ONLY,
    Reason,
    moderator_of,
    text_channel_of,
)
from botfleet.bots.mod.services.channels import LOCKDOWN_END_EVENT, ModChannelStore
from botfleet.bots.mod.services.checks import permission_label
from botfleet.bots.mod.services.limits import audit_reason, check_reason
from botfleet.bots.mod.services.purge import (
    MAX_PURGE,
    SCAN_LIMIT,
    MessageFacts,
    PurgeFilter,
    PurgePlan,
    plan_purge,
)
from botfleet.core.answers import answer_in_time
from botfleet.errors import UserError
from botfleet.utils.durations import parse_time
from botfleet.utils.places import server_of
from botfleet.utils.text import discord_timestamp

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MAX_SLOWMODE: Final = timedelta(hours=6)
"""Discord's longest slowmode."""
OFF_WORDS: Final = frozenset({"0", "off", "none", "no"})
LOCKDOWN_CHANGE: Final = "lockdown"
"""What a slow /lockdown start or end is called in the note that its answer is coming."""


def require_channel_permission(
    channel: discord.TextChannel, member: discord.Member, permission: str, doing: str
) -> None:
    """Refuse, naming who lacks what, when ``member`` lacks ``permission`` in ``channel``."""
    if getattr(channel.permissions_for(member), permission):
        return
    label = permission_label(permission)
    if member.id == channel.guild.me.id:
        raise UserError(f"I need **{label}** in {channel.mention} to {doing}.")
    raise UserError(f"You need **{label}** in {channel.mention} to {doing}.")


def facts_of(message: discord.Message) -> MessageFacts:
    """What a purge filter reads of a message."""
    return MessageFacts(
        id=message.id,
        author_id=message.author.id,
        author_is_bot=message.author.bot,
        content=message.content,
        created_at=message.created_at,
        has_files=bool(message.attachments),
        has_embeds=bool(message.embeds),
    )


def slowmode_seconds(text: str) -> int:
    """A slowmode typed by a moderator ("30s", "2m", "off"), within Discord's six hours."""
    if text.strip().casefold() in OFF_WORDS:
        return 0
    seconds = parse_time(text)
    if seconds > MAX_SLOWMODE.total_seconds():
        raise UserError("A slowmode lasts 6 hours at most (Discord's limit).")
    return seconds


@app_commands.guild_only()
class ChannelCommands(commands.Cog, name="Channel moderation"):
    """Purges, slowmode, locks and the server's lockdown."""

    def __init__(self, bot: FleetBot[ModOptions], channels: ModChannelStore) -> None:
        self.bot = bot
        self.channels = channels

    @app_commands.command(name="purge", description="Delete recent messages matching filters.")
    @app_commands.describe(
        amount=f"How many matching messages to delete (1 to {MAX_PURGE}).",
        member="Only this member's messages.",
        contains="Only messages containing this text.",
        regex="Only messages matching this regular expression.",
        bots="Only bots' messages.",
        links="Only messages with links.",
        files="Only messages with attachments.",
        embeds="Only messages with embeds.",
        older="Also delete messages older than 14 days, one by one (slow).",
    )
    @requires_permission(PermissionLevel.MODERATOR)
    async def purge(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        amount: app_commands.Range[int, 1, MAX_PURGE],
        *,
        member: discord.User | None = None,
        contains: app_commands.Range[str, 1, 200] | None = None,
        regex: app_commands.Range[str, 1, 300] | None = None,
        bots: bool = False,
        links: bool = False,
        files: bool = False,
        embeds: bool = False,
        older: bool = False,
    ) -> None:
        channel = text_channel_of(interaction)
        moderator = moderator_of(interaction)
        require_channel_permission(channel, moderator, "manage_messages", "purge messages")
        for needed in ("manage_messages", "read_message_history"):
            require_channel_permission(channel, channel.guild.me, needed, "purge messages")
        pattern = await moderator_pattern(self.bot.options, regex)
        purge = PurgeFilter(
            member_id=member.id if member is not None else None,
            text=contains,
            pattern=pattern,
            bots=bots,
            links=links,
            files=files,
            embeds=embeds,
        )
        # Reading the history and deleting in batches (one by one with older:True) can take
        # longer than Discord's 3 s for a first answer.
        async with answer_in_time(interaction, "purge report", ephemeral=True) as answer:
            facts = [facts_of(message) async for message in channel.history(limit=SCAN_LIMIT)]
            plan = await asyncio.to_thread(plan_purge, facts, purge, amount, datetime.now(UTC))
            reason = audit_reason(str(moderator), None, f"purge in #{channel.name}")
            deleted = await self._delete(channel, plan, reason, older=older)
            await answer.send(self._purge_report(deleted, plan, older=older))

    async def _delete(
        self, channel: discord.TextChannel, plan: PurgePlan, reason: str, *, older: bool
    ) -> int:
        deleted = 0
        for batch in plan.batches():
            await channel.delete_messages([discord.Object(id) for id in batch], reason=reason)
            deleted += len(batch)
        if older:
            # Message.delete takes no reason; the route it calls does, so each single delete
            # carries the bulk path's audit-log reason.
            for message_id in plan.old:
                try:
                    await self.bot.http.delete_message(channel.id, message_id, reason=reason)
                except discord.NotFound:
                    continue  # deleted meanwhile: what the purge wanted
                deleted += 1
        return deleted

    @staticmethod
    def _purge_report(deleted: int, plan: PurgePlan, *, older: bool) -> str:
        if not plan.recent and not plan.old:
            return "No recent message matches those filters; nothing was deleted."
        text = f"🧹 Deleted {deleted} message(s)."
        if plan.old and not older:
            text += (
                f"\n{len(plan.old)} matching message(s) are older than 14 days, which Discord "
                "won't delete in bulk; run again with `older:True` to delete them one by one."
            )
        return text

    @app_commands.command(
        name="slowmode", description="Set how long members wait between messages."
    )
    @app_commands.describe(delay="30s, 2m, 1h (6h at most), or off.", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def slowmode(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        delay: app_commands.Range[str, 1, 40],
        reason: Reason | None = None,
    ) -> None:
        channel = text_channel_of(interaction)
        moderator = moderator_of(interaction)
        seconds = slowmode_seconds(delay)
        require_channel_permission(channel, moderator, "manage_channels", "set a slowmode")
        require_channel_permission(channel, channel.guild.me, "manage_channels", "set a slowmode")
        audit = audit_reason(str(moderator), None, check_reason(reason))
        await channel.edit(slowmode_delay=seconds, reason=audit)
        text = (
            f"🐢 Slowmode in {channel.mention}: one message every {seconds} s."
            if seconds
            else f"🐇 Slowmode is off in {channel.mention}."
        )
        await interaction.response.send_message(text)

    async def set_locked(self, channel: discord.TextChannel, *, locked: bool, audit: str) -> bool:
        """Deny (or give back) @everyone's Send Messages; False when nothing changed."""
        everyone = channel.guild.default_role
        overwrite = channel.overwrites_for(everyone)
        if (overwrite.send_messages is False) == locked:
            return False
        overwrite.update(send_messages=False if locked else None)
        await channel.set_permissions(
            everyone, overwrite=None if overwrite.is_empty() else overwrite, reason=audit
        )
        return True

    def _check_lockable(self, channel: discord.TextChannel, moderator: discord.Member) -> None:
        require_channel_permission(channel, moderator, "manage_channels", "lock it")
        require_channel_permission(channel, channel.guild.me, "manage_roles", "lock it")

    async def _lock_here(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        reason: str | None,
        *,
        locked: bool,
    ) -> discord.TextChannel:
        """Lock or open the interaction's channel; refused when it already is."""
        channel = text_channel_of(interaction)
        moderator = moderator_of(interaction)
        self._check_lockable(channel, moderator)
        audit = audit_reason(str(moderator), None, reason)
        if not await self.set_locked(channel, locked=locked, audit=audit):
            state = "locked already; `/unlock` opens it" if locked else "not locked"
            raise UserError(f"{channel.mention} is {state}.")
        return channel

    @app_commands.command(name="lock", description="Stop members from sending messages here.")
    @app_commands.describe(reason="Why (shown in the channel).")
    @requires_permission(PermissionLevel.MODERATOR)
    async def lock(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        reason: Reason | None = None,
    ) -> None:
        checked = check_reason(reason)
        channel = await self._lock_here(interaction, checked, locked=True)
        why = f" Reason: {checked}" if checked else ""
        await interaction.response.send_message(f"🔒 {channel.mention} is locked.{why}")

    @app_commands.command(name="unlock", description="Let members send messages here again.")
    @app_commands.describe(reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def unlock(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        reason: Reason | None = None,
    ) -> None:
        channel = await self._lock_here(interaction, check_reason(reason), locked=False)
        await interaction.response.send_message(f"🔓 {channel.mention} is open again.")

    lockdown = app_commands.Group(
        name="lockdown",
        description="Lock or open every channel the server set for a lockdown.",
        guild_only=True,
    )

    @lockdown.command(name="start", description="Lock the lockdown channels, for a while or not.")
    @app_commands.describe(duration="Ends by itself after this (e.g. 30m, 2h).", reason="Why.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def lockdown_start(
        self,
        interaction: discord.Interaction[FleetBot[ModOptions]],
        duration: app_commands.Range[str, 1, 40] | None = None,
        reason: Reason | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        moderator = moderator_of(interaction)
        ends_at = datetime.now(UTC) + timedelta(seconds=parse_time(duration)) if duration else None
        channels = await self._lockdown_channels(guild, moderator)
        audit = audit_reason(str(moderator), None, check_reason(reason) or "lockdown")
        # One Discord call per channel: seconds in a big server, past the first answer's 3 s.
        async with answer_in_time(interaction, LOCKDOWN_CHANGE) as answer:
            locked = [
                channel
                for channel in channels
                if await self.set_locked(channel, locked=True, audit=audit)
            ]
            lockdown_id = None
            if ends_at is not None:
                lockdown_id = interaction.id
                # Stored even when short: a crash must not leave the server locked for good.
                await self.bot.scheduler.schedule(
                    ends_at,
                    LOCKDOWN_END_EVENT,
                    {"guild_id": guild.id, "lockdown_id": lockdown_id},
                    durable=True,
                )
            await self.channels.set_lockdown(guild.id, lockdown_id)
            until = f" until {discord_timestamp(ends_at)}" if ends_at is not None else ""
            await answer.send(
                f"🚨 Lockdown{until}: {len(locked)} channel(s) locked "
                f"({', '.join(channel.mention for channel in channels)})."
            )

    @lockdown.command(name="end", description="Open the lockdown channels again.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def lockdown_end(self, interaction: discord.Interaction[FleetBot[ModOptions]]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        moderator = moderator_of(interaction)
        channels = await self._lockdown_channels(guild, moderator)
        async with answer_in_time(interaction, LOCKDOWN_CHANGE) as answer:
            await self.channels.set_lockdown(guild.id, None)
            opened = await self.end_lockdown(guild, channels, str(moderator))
            await answer.send(f"✅ Lockdown over: {opened} channel(s) open again.")

    async def end_lockdown(
        self, guild: discord.Guild, channels: list[discord.TextChannel], by: str
    ) -> int:
        """Open the lockdown's channels; how many were locked."""
        audit = audit_reason(by, None, "lockdown ended")
        opened = 0
        for channel in channels:
            if await self.set_locked(channel, locked=False, audit=audit):
                opened += 1
        return opened

    async def _lockdown_channels(
        self, guild: discord.Guild, moderator: discord.Member
    ) -> list[discord.TextChannel]:
        channels = await self.lockdown_channels_of(guild)
        if not channels:
            raise UserError(
                "No lockdown channels are set; an admin adds them with `/modset lockdown-add`."
            )
        for channel in channels:
            self._check_lockable(channel, moderator)
        return channels

    async def lockdown_channels_of(self, guild: discord.Guild) -> list[discord.TextChannel]:
        """The lockdown channels that still exist, for the timer that ends a lockdown."""
        configured = (await self.channels.get(guild.id)).lockdown_channel_ids
        return [
            channel
            for channel_id in configured
            if isinstance(channel := guild.get_channel(channel_id), discord.TextChannel)
        ]
