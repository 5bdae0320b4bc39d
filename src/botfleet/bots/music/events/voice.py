"""Voice events: leave when alone (unless 24/7); rejoin when the bot is disconnected while
members still listen, and follow it when it is moved."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.music.players import PlayerManager

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class MusicVoiceEvents(commands.Cog, name="MusicVoice"):
    """Follows who is in the players' channels."""

    def __init__(self, bot: FleetBot, manager: PlayerManager) -> None:
        self.bot = bot
        self.manager = manager

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        player = self.manager.players.get(member.guild.id)
        if player is None:
            return
        if self.bot.user is not None and member.id == self.bot.user.id:
            if after.channel is None and isinstance(before.channel, discord.VoiceChannel):
                await self.manager.rejoin(player, before.channel)
            elif after.channel is not None:
                await self.manager.moved(player)
            return
        channel = getattr(player.voice, "channel", None)
        touched = {getattr(before.channel, "id", None), getattr(after.channel, "id", None)}
        if channel is not None and channel.id in touched:
            self.manager.watch_listeners(player)
