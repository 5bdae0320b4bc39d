"""Closing polls when their time is up, and giving lost alarms back at start."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from botfleet.bots.utility.services.polls import PollService
from botfleet.bots.utility.views.polls import PollDisplay
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class PollEvents(commands.Cog, name="Poll events"):
    """Closes a poll at its end time and posts its results, once."""

    def __init__(self, bot: FleetBot, service: PollService, display: PollDisplay) -> None:
        self.bot = bot
        self.service = service
        self.display = display

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(
            self, "restoring the polls' timers", self.service.restore_timers
        )

    @commands.Cog.listener()
    async def on_poll_close_timer_complete(self, timer: ScheduledTimer) -> None:
        poll_id = timer.payload.get("poll_id")
        if not isinstance(poll_id, int):
            log.error("poll timer %d has a malformed payload %r", timer.id, timer.payload)
            return
        closed = await self.service.close(poll_id)
        if closed is None:
            return  # ended by command, deleted, or already closed by another alarm
        await self.display.announce_end(closed)
