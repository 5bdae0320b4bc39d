"""The classic mode's events: typed answers, round timers and lobby timers.

In a channel with a game in play, a one-word message from a player still in the game is an
answer: judged when it is their turn (the verdict is a reply), told whose turn it is when not.
Other messages are chat and left alone. A round's timer ends a solo game or puts the player on
turn out; a lobby's timer begins the elimination round, or ends it for want of players.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.bots.spelling_bee.commands.classic import ClassicPlay
from botfleet.bots.spelling_bee.services.classic import MAX_ANSWER_LENGTH, ClassicService
from botfleet.bots.spelling_bee.views.classic import NO_PINGS, ClassicDisplay, attempt_text
from botfleet.errors import UserError
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

_ONE_WORD: Final = re.compile(rf"\S{{1,{MAX_ANSWER_LENGTH}}}")


class ClassicEvents(commands.Cog, name="Spelling Bee classic events"):
    """Answers typed in a game's channel and the game's timers; no commands."""

    def __init__(
        self, bot: FleetBot, service: ClassicService, display: ClassicDisplay, play: ClassicPlay
    ) -> None:
        self.bot = bot
        self.service = service
        self.display = display
        self.play = play

    async def cog_load(self) -> None:
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """A message hook: a player's one-word message in their game's channel is an answer,
        judged in a task; any other message costs no task."""
        text = message.content.strip()
        if message.author.bot or message.guild is None or not _ONE_WORD.fullmatch(text):
            return None
        game_id = self.service.takes_message_from(message.channel.id, message.author.id)
        if game_id is None:
            return None
        return self._answer(message, game_id, text)

    async def _answer(self, message: discord.Message, game_id: str, text: str) -> None:
        try:
            attempt = await self.service.answer(game_id, message.author.id, text)
        except UserError as problem:
            log.info(
                "spelling answer refused in channel %d: %s", message.channel.id, problem.message
            )
            await self._reply(message, problem.message)
            return
        await self._reply(message, attempt_text(attempt))
        await self.display.follow_up(attempt)

    async def _reply(self, message: discord.Message, text: str) -> None:
        try:
            await message.reply(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not answer a spelling in channel %d", message.channel.id)

    @commands.Cog.listener()
    async def on_spelling_bee_classic_round_timer_complete(self, timer: ScheduledTimer) -> None:
        attempt = await self.service.time_up(timer.payload)
        if attempt is not None:
            await self.display.post_text(attempt.channel_id, attempt_text(attempt))
            await self.display.follow_up(attempt)

    @commands.Cog.listener()
    async def on_spelling_bee_classic_lobby_timer_complete(self, timer: ScheduledTimer) -> None:
        result = await self.service.lobby_closed(timer.payload)
        channel_id = timer.payload.get("channel_id")
        if result is not None and isinstance(channel_id, int):
            await self.play.lobby_result(result, channel_id)
