"""Delivering reminders when their alarm goes off, in their channel or by direct message."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.utility.services.reminders import Reminder, ReminderService
from botfleet.events_bus import MemberBanned
from botfleet.services.scheduler import ScheduledTimer
from botfleet.utils.text import discord_timestamp

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


def delivery_text(reminder: Reminder, *, next_due: datetime | None) -> str:
    """The reminder as delivered: who, what, where it was set, and when it comes back."""
    lines = [f"⏰ <@{reminder.user_id}>, you asked me to remind you:", reminder.content]
    jump = reminder.jump_url()
    if jump is not None:
        lines.append(f"-# [Set here]({jump})")
    if next_due is not None:
        lines.append(
            f"-# Next time: {discord_timestamp(next_due)} · /reminders delete {reminder.id}"
        )
    return "\n".join(lines)


class ReminderEvents(commands.Cog, name="Reminder events"):
    """Gives lost alarms back at start, delivers reminders when they are due, and drops those a
    member set in a server that banned them (told by the Mod Bot over the event bus)."""

    def __init__(self, bot: FleetBot, service: ReminderService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(
            self, "restoring the reminders' timers", self.service.restore_timers
        )
        self.bot.bus.subscribe(
            MemberBanned, self._on_member_banned, consumer=self.bot.name, name="ban-reminders"
        )

    async def cog_unload(self) -> None:
        self.bot.bus.unsubscribe(self._on_member_banned)

    async def _on_member_banned(self, event: MemberBanned) -> None:
        forgotten = await self.service.forget_in_guild(event.user_id, event.guild_id)
        if forgotten:
            log.info(
                "dropped %d reminders of %d, banned from guild %d",
                forgotten,
                event.user_id,
                event.guild_id,
            )

    @commands.Cog.listener()
    async def on_reminder_timer_complete(self, timer: ScheduledTimer) -> None:
        reminder_id = timer.payload.get("reminder_id")
        due_text = timer.payload.get("due_at")
        if not isinstance(reminder_id, int) or not isinstance(due_text, str):
            log.error("reminder timer %d has a malformed payload %r", timer.id, timer.payload)
            return
        claimed = await self.service.claim(reminder_id, datetime.fromisoformat(due_text))
        if claimed is None:
            return  # deleted, edited, or already delivered by another alarm
        text = delivery_text(claimed.reminder, next_due=claimed.next_due)
        await self.deliver(claimed.reminder, text)

    async def deliver(self, reminder: Reminder, text: str) -> None:
        """Send to the channel (or DM); when one way is closed, try the other before giving up."""
        mentions = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(reminder.user_id)]
        )
        ways = (self._by_dm, self._in_channel)
        for send in ways if reminder.direct_message else reversed(ways):
            try:
                if await send(reminder, text, mentions):
                    return
            except discord.HTTPException as exc:
                log.info("reminder %d not delivered %s: %s", reminder.id, send.__name__, exc)
        log.warning(
            "reminder %d of member %d could not be delivered: their DMs and channel %d are "
            "both closed to the bot",
            reminder.id,
            reminder.user_id,
            reminder.channel_id,
        )

    async def _in_channel(
        self, reminder: Reminder, text: str, mentions: discord.AllowedMentions
    ) -> bool:
        channel = self.bot.get_channel(reminder.channel_id) or await self.bot.fetch_channel(
            reminder.channel_id
        )
        if not isinstance(channel, discord.abc.Messageable):
            return False
        await channel.send(text, allowed_mentions=mentions)
        return True

    async def _by_dm(
        self, reminder: Reminder, text: str, mentions: discord.AllowedMentions
    ) -> bool:
        user = self.bot.get_user(reminder.user_id) or await self.bot.fetch_user(reminder.user_id)
        await user.send(text, allowed_mentions=mentions)
        return True
