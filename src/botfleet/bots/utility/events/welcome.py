"""Greeting members who join and noting those who leave, as each guild configured."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.auth.roles import discord_role_problem
from botfleet.bots.utility.services.welcome import (
    JOIN_ROLES_EVENT,
    MemberFacts,
    WelcomeCard,
    WelcomeConfig,
    WelcomeStore,
    render,
    render_welcome_card,
)
from botfleet.services.scheduler import ScheduledTimer
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
        if config.join_role_ids and not member.bot:
            if config.join_role_delay:
                await self.bot.scheduler.schedule(
                    timedelta(seconds=config.join_role_delay),
                    JOIN_ROLES_EVENT,
                    {"guild_id": member.guild.id, "user_id": member.id},
                )
            else:
                await self.give_join_roles(member, config)

    @commands.Cog.listener()
    async def on_join_roles_timer_complete(self, timer: ScheduledTimer) -> None:
        """The delay is over: give the roles configured now, if the member is still here."""
        guild = self.bot.get_guild(int(timer.payload["guild_id"]))
        member = guild.get_member(int(timer.payload["user_id"])) if guild is not None else None
        if guild is None or member is None:
            return  # left the server (or the bot did) before the delay ran out
        await self.give_join_roles(member, await self.store.get(guild.id))

    async def give_join_roles(self, member: discord.Member, config: WelcomeConfig) -> None:
        """Give the configured roles the bot may hand out; log (never raise) the others."""
        roles: list[discord.Role] = []
        for role_id in config.join_role_ids:
            role = member.guild.get_role(role_id)
            problem = "it was deleted" if role is None else discord_role_problem(role)
            if problem is not None or role is None:
                log.warning(
                    "join role %d of guild %d not given to %d: %s",
                    role_id,
                    member.guild.id,
                    member.id,
                    problem,
                )
            elif role not in member.roles:
                roles.append(role)
        if not roles:
            return
        try:
            await member.add_roles(*roles, reason="Join roles (/welcome roles)")
        except discord.HTTPException as exc:
            log.warning("join roles for %d in guild %d failed: %s", member.id, member.guild.id, exc)

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        config = await self.store.get(member.guild.id)
        if config.goodbye_channel_id is not None:
            text = render(config.goodbye_template, facts_of(member))
            await self._send(member, config.goodbye_channel_id, text)
