"""Plain messages in a guild's puzzle channel: a one-word message is a guess.

Only messages that look like a guess (one word of letters) are judged, so chatting in the
channel stays possible; the verdict is a reply to the message. A message belongs to one game
at most: while a classic spelling bee runs in the channel (lobby included), typed words are
that game's, and the puzzle's message guesses pause (``/bee guess`` still works).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Final

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

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        text = message.content.strip()
        if message.author.bot or message.guild is None or not _GUESS.fullmatch(text):
            return
        if self.classic.runs_in(message.channel.id):
            return
        if await self.service.channel_of(message.guild.id) != message.channel.id:
            return
        try:
            answer = await self.service.submit(
                message.guild.id, message.author.id, text, channel_id=message.channel.id
            )
        except UserError as problem:
            reply = problem.message
        else:
            reply = verdict_text(answer)
        try:
            await message.reply(reply, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not answer a guess in channel %d", message.channel.id)
