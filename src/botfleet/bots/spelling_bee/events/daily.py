"""Events of the Spelling Bee Bot: the daily post timers and achievement announcements.

At start every guild's daily post gets a fresh timer; when one fires the day's puzzle is
posted in the guild's puzzle channel. An achievement unlocked by a found word is announced
where it was found.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.rewards import BOT_NAME
from botfleet.bots.spelling_bee.views.display import hive_file, puzzle_embed
from botfleet.gamification import AchievementUnlocked
from botfleet.gamification.discord.extension import announce_game_achievement
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class SpellingBeeEvents(commands.Cog, name="Spelling Bee events"):
    """Daily posts and announcements; no commands."""

    def __init__(self, bot: FleetBot, service: BeeService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(
            self, "re-arming the daily spelling bee posts", self._rearm
        )

    async def _rearm(self) -> None:
        rearmed = await self.service.rearm_daily()
        if rearmed:
            log.info("%d spelling bee daily posts were given fresh timers", rearmed)

    @commands.Cog.listener()
    async def on_spelling_bee_daily_timer_complete(self, timer: ScheduledTimer) -> None:
        due = await self.service.daily_due(timer.payload)
        if due is None:
            return
        channel_id, progress = due
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            await channel.send(
                embed=puzzle_embed(progress, self.bot.settings.colors.primary),
                file=await hive_file(progress.puzzle.centre, progress.puzzle.outer),
            )
        except discord.HTTPException:
            log.warning("could not post the daily spelling bee in channel %d", channel_id)

    @commands.Cog.listener()
    async def on_achievement_unlock(self, unlock: AchievementUnlocked) -> None:
        await announce_game_achievement(self.bot, unlock, BOT_NAME)
