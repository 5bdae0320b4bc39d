"""Events of the Hangman Bot: inactivity timers, the gamification framework's unlocks.

Once the bot is ready, before the timers start, the cog gives every game in play a fresh
inactivity timer (the bot base starts and stops the XP framework); an idle game ends with the
word told in its channel; an achievement unlocked by a Hangman game is announced where the
game was played.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from botfleet.bots.hangman.services.games import HangmanService
from botfleet.bots.hangman.services.rewards import BOT_NAME
from botfleet.bots.hangman.views.display import GameDisplay
from botfleet.gamification import AchievementUnlocked
from botfleet.gamification.discord.extension import announce_game_achievement
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class HangmanEvents(commands.Cog, name="Hangman events"):
    """Timers and announcements; no commands."""

    def __init__(
        self,
        bot: FleetBot,
        service: HangmanService,
        display: GameDisplay,
    ) -> None:
        self.bot = bot
        self.service = service
        self.display = display

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(self, "re-arming the hangman games' timers", self._rearm)

    async def _rearm(self) -> None:
        rearmed = await self.service.rearm_timers()
        if rearmed:
            log.info("%d hangman games in play were given fresh inactivity timers", rearmed)

    @commands.Cog.listener()
    async def on_hangman_timeout_timer_complete(self, timer: ScheduledTimer) -> None:
        move = await self.service.check_idle(timer.payload)
        if move is not None:
            await self.display.show_end(move, await self.service.reward(move))

    @commands.Cog.listener()
    async def on_achievement_unlock(self, unlock: AchievementUnlocked) -> None:
        await announce_game_achievement(self.bot, unlock, BOT_NAME)
