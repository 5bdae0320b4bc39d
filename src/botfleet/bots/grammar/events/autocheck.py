"""Auto-check channels: members' messages are checked, and the bot answers only with a reaction.

**The quiet design.** A message with issues gets one 📝 reaction from the bot, nothing else:
the channel is never filled with corrections. A member who wants the details either uses the
"Check grammar" message menu (a private answer with the buttons), or adds 📝 to their own
message themselves and gets the details by direct message. A clean message gets no reaction;
it is counted in the member's stats and may earn a ``grammar:clean`` game result.

Messages of bots and webhooks, outside servers, and in channels not enabled are never read;
the enabled channels come from the cache, so a message costs no database query. A failing
engine is logged and the message is left alone, as auto-check never answers with an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord.ext import commands

from botfleet.bots.grammar.services.autocheck import AutoCheckChannels, CheckRecorder
from botfleet.bots.grammar.services.checker import CheckResult, GrammarChecker
from botfleet.bots.grammar.services.review import Review
from botfleet.bots.grammar.views.result import result_embed
from botfleet.errors import UserError

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MARK: Final = "📝"
CHECKED_TYPES: Final = frozenset({discord.MessageType.default, discord.MessageType.reply})


class AutoCheckEvents(commands.Cog, name="Grammar auto-check"):
    """Reads the messages of auto-check channels and marks those with issues."""

    def __init__(
        self,
        bot: FleetBot,
        checker: GrammarChecker,
        channels: AutoCheckChannels,
        recorder: CheckRecorder,
    ) -> None:
        self.bot = bot
        self.checker = checker
        self.channels = channels
        self.recorder = recorder

    async def _check(self, message: discord.Message) -> CheckResult | None:
        """The issues of a member's message in an auto-check channel; None when not checked."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return None
        if message.type not in CHECKED_TYPES:
            return None
        strictness = await self.channels.strictness_in(message.guild.id, message.channel.id)
        if strictness is None:
            return None
        try:
            return await self.checker.check_message(message.content, strictness)
        except UserError as error:
            log.warning("auto-check of message %d failed: %s", message.id, error.message)
            return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        result = await self._check(message)
        if result is None:
            return
        author = message.author
        roles = author.roles if isinstance(author, discord.Member) else []
        await self.recorder.record(
            result,
            user_id=author.id,
            guild_id=message.guild.id if message.guild else None,
            channel_id=message.channel.id,
            role_ids=[role.id for role in roles],
        )
        if not result.issues:
            return
        try:
            await message.add_reaction(MARK)
        except discord.HTTPException as error:
            log.warning(
                "could not mark message %d in channel %d: %s", message.id, message.channel.id, error
            )

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """The author asked for the details of their marked message: send them privately."""
        own_id = self.bot.user.id if self.bot.user else None
        if str(payload.emoji) != MARK or payload.guild_id is None or payload.user_id == own_id:
            return
        if payload.message_author_id != payload.user_id:
            return  # only the author asks for their own message's details
        if await self.channels.strictness_in(payload.guild_id, payload.channel_id) is None:
            return
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.HTTPException as error:
            log.info("could not read message %d for its details: %s", payload.message_id, error)
            return
        if message.author.id != payload.user_id:
            return
        result = await self._check(message)
        if result is None or not result.issues:
            return
        embed = result_embed(Review(result), self.bot.settings.colors.primary)
        try:
            await message.author.send(
                f"The details of your message in {channel.mention} ({message.jump_url}):",
                embed=embed,
            )
        except discord.HTTPException as error:
            log.info("could not send member %d their details: %s", payload.user_id, error)
