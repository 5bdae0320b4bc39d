"""Greeting members who join and noting those who leave, as each guild configured."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.utility.services.welcome import (
    MemberFacts,
    WelcomeCard,
    WelcomeStore,
    render,
    render_welcome_card,
)
from botfleet.utils.imaging import fetch_avatar_png

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


def facts_of(member: discord.Member) -> MemberFacts:
    guild = member.guild
    return MemberFacts(
        mention=member.mention,
        name=member.display_name,
        server=guild.name,
        member_count=guild.member_count or len(guild.members),
    )


async def welcome_card_file(member: discord.Member, accent: int) -> discord.File:
    """The member's welcome picture, drawn off the event loop."""
    card = WelcomeCard(
        user_id=member.id,
        display_name=member.display_name,
        server=member.guild.name,
        member_count=member.guild.member_count or len(member.guild.members),
        avatar_png=await fetch_avatar_png(member),
        accent=((accent >> 16) & 0xFF, (accent >> 8) & 0xFF, accent & 0xFF),
    )
    picture = await asyncio.to_thread(render_welcome_card, card)
    return discord.File(io.BytesIO(picture), filename="welcome.png")


class WelcomeEvents(commands.Cog, name="Welcome events"):
    """Sends the welcome and goodbye messages; a closed channel is logged, never raised."""

    def __init__(self, bot: FleetBot, store: WelcomeStore) -> None:
        self.bot = bot
        self.store = store

    async def _send(
        self,
        member: discord.Member,
        channel_id: int,
        text: str,
        *,
        card: bool = False,
    ) -> None:
        channel = member.guild.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning(
                "welcome channel %d of guild %d is gone; an admin can set another with /welcome",
                channel_id,
                member.guild.id,
            )
            return
        mentions = discord.AllowedMentions(everyone=False, roles=False, users=[member])
        files = [await welcome_card_file(member, self.bot.settings.colors.primary)] if card else []
        try:
            await channel.send(text, files=files, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.warning(
                "cannot post in welcome channel %d of guild %d: %s",
                channel_id,
                member.guild.id,
                exc,
            )

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        config = await self.store.get(member.guild.id)
        if config.welcome_channel_id is not None:
            text = render(config.welcome_template, facts_of(member))
            await self._send(member, config.welcome_channel_id, text, card=config.welcome_card)

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        config = await self.store.get(member.guild.id)
        if config.goodbye_channel_id is not None:
            text = render(config.goodbye_template, facts_of(member))
            await self._send(member, config.goodbye_channel_id, text)
