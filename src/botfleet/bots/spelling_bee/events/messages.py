"""Plain messages in a guild's puzzle channel: a one-word message is a guess.

Only messages that look like a guess (one word of letters) are judged, so chatting in the
channel stays possible; the verdict is a reply to the message. A message belongs to one game
at most: while a classic spelling bee runs in the channel (lobby included), typed words are
that game's, and the puzzle's message guesses pause (``/bee guess`` still works).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.bots.spelling_bee.services.classic import ClassicService
from botfleet.bots.spelling_bee.services.game import MAX_GUESS_LENGTH, BeeService
from botfleet.bots.spelling_bee.views.display import verdict_text
from botfleet.errors import UserError

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

_GUESS: Final = re.compile(rf"[A-Za-z]{{1,{MAX_GUESS_LENGTH}}}")


class SpellingBeeMessages(commands.Cog, name="Spelling Bee messages"):
    """Judges one-word messages sent in a guild's puzzle channel."""

    def __init__(self, bot: FleetBot, service: BeeService, classic: ClassicService) -> None:
        self.bot = bot
        self.service = service
        self.classic = classic

    async def cog_load(self) -> None:
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """A message hook: only a one-word message outside a classic game may be a guess, and
        only in the puzzle channel, which this process usually knows from memory; any other
        message costs no task (and no query)."""
        text = message.content.strip()
        if message.author.bot or message.guild is None or not _GUESS.fullmatch(text):
            return None
        if self.classic.runs_in(message.channel.id):
            return None
        known = self.service.known_channel(message.guild.id)
        if known is None:
            return self._guess_if_in_channel(message, message.guild.id, text)
        if known.channel_id != message.channel.id:
            return None
        return self._guess(message, message.guild.id, text)

    async def _guess_if_in_channel(
        self, message: discord.Message, guild_id: int, text: str
    ) -> None:
        """Judge the guess once the puzzle channel is read (this process did not know it)."""
        if await self.service.channel_of(guild_id) == message.channel.id:
            await self._guess(message, guild_id, text)

    async def _guess(self, message: discord.Message, guild_id: int, text: str) -> None:
        try:
            answer = await self.service.submit(
                guild_id, message.author.id, text, channel_id=message.channel.id
            )
        except UserError as problem:
            reply = problem.message
        else:
            reply = verdict_text(answer)
        try:
            await message.reply(reply, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not answer a guess in channel %d", message.channel.id)
