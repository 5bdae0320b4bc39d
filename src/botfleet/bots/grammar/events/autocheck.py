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
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.bots.grammar.services.autocheck import AutoCheckChannels, CheckRecorder
from botfleet.bots.grammar.services.checker import CheckResult, GrammarChecker
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.review import Review
from botfleet.bots.grammar.views.result import result_embed
from botfleet.errors import UserError

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MARK: Final = "📝"
CHECKED_TYPES: Final = frozenset({discord.MessageType.default, discord.MessageType.reply})


def checkable(message: discord.Message) -> bool:
    """Whether a message is a member's own text in a server (no bot, webhook or system one)."""
    if message.author.bot or message.webhook_id is not None or message.guild is None:
        return False
    return message.type in CHECKED_TYPES


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

    async def cog_load(self) -> None:
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """A message hook: a member's message is checked in a task unless this process knows
        its channel is not auto-checked (the common case, which costs no task)."""
        if not checkable(message) or message.guild is None:
            return None
        known = self.channels.known_strictness(message.guild.id, message.channel.id)
        if known is None:
            return self._check_and_mark(message, message.guild.id)
        if known.strictness is None:
            return None
        return self._check_and_mark(message, message.guild.id, known.strictness)

    async def _check(self, message: discord.Message, strictness: Strictness) -> CheckResult | None:
        """The issues of a member's message in an auto-check channel; None when it is not
        worth a check or the check failed (logged: auto-check never answers with an error)."""
        try:
            return await self.checker.check_message(message.content, strictness)
        except UserError as error:
            log.warning("auto-check of message %d failed: %s", message.id, error.message)
            return None

    async def _check_and_mark(
        self, message: discord.Message, guild_id: int, strictness: Strictness | None = None
    ) -> None:
        """Check the message, record it, and mark it when it has issues.

        ``strictness`` is the channel's as the hook knew it; None when it did not, and it is
        read here (from Redis or the database) once.
        """
        if strictness is None:
            strictness = await self.channels.strictness_in(guild_id, message.channel.id)
            if strictness is None:
                return
        result = await self._check(message, strictness)
        if result is None:
            return
        author = message.author
        roles = author.roles if isinstance(author, discord.Member) else []
        await self.recorder.record(
            result,
            user_id=author.id,
            guild_id=guild_id,
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
        strictness = await self.channels.strictness_in(payload.guild_id, payload.channel_id)
        if strictness is None:
            return
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.HTTPException as error:
            log.info("could not read message %d for its details: %s", payload.message_id, error)
            return
        if message.author.id != payload.user_id or not checkable(message):
            return
        result = await self._check(message, strictness)
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
