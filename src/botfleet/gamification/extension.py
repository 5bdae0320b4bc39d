"""The XP extension every bot of the fleet loads: it earns XP and announces level-ups.

Chat messages earn message XP (the guild's range, once per cooldown shared by every bot in the
guild), and completed slash and prefix commands earn command XP, both through the bot's shared
:class:`~botfleet.gamification.Gamification`. With six bots in one guild each hears the same
message: each buffers it, and the save keeps only the first within the cooldown, so the member
earns once, and the one process whose save caused a level-up announces it, where the guild
chose, and applies the level's role rewards.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.gamification.events import AchievementUnlocked, LevelUp
from botfleet.gamification.guild_settings import GuildXPConfig
from botfleet.gamification.role_sync import sync_member_roles
from botfleet.gamification.xp_system import announcement_for

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MEMBER_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=True)


def _role_ids(author: discord.abc.User) -> list[int]:
    return [role.id for role in author.roles] if isinstance(author, discord.Member) else []


def member_role_ids(bot: FleetBot, guild_id: int, user_id: int) -> Sequence[int] | None:
    """A member's role ids from the bot's member cache (None when not cached).

    Games report XP by member id; this lets a guild's no-XP roles apply to them as to chat.
    """
    guild = bot.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    return [role.id for role in member.roles] if member is not None else None


class XPEvents(commands.Cog, name="XP"):
    """Earns XP from chat and commands; announces level-ups, gives reward roles. No commands."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        author = message.author
        if message.guild is None or author.bot or message.webhook_id is not None:
            return
        await self.bot.gamification.xp.award_message(
            author.id,
            message.guild.id,
            message.channel.id,
            _role_ids(author),
            sent_at=message.created_at,
            username=author.name,
        )

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[FleetBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        await self.bot.gamification.xp.award_command(
            interaction.user.id,
            command.qualified_name,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            role_ids=_role_ids(interaction.user),
            username=interaction.user.name,
        )

    @commands.Cog.listener()
    async def on_command_completion(self, ctx: commands.Context[FleetBot]) -> None:
        if ctx.interaction is not None or ctx.command is None:
            return  # a hybrid command run as a slash command earns through the listener above
        await self.bot.gamification.xp.award_command(
            ctx.author.id,
            ctx.command.qualified_name,
            guild_id=ctx.guild.id if ctx.guild is not None else None,
            channel_id=ctx.channel.id,
            role_ids=_role_ids(ctx.author),
            username=ctx.author.name,
        )

    @commands.Cog.listener()
    async def on_xp_level_up(self, event: LevelUp) -> None:
        if event.guild_id is None:
            return  # fleet-wide levels are shown on /rank, never announced
        config = await self.bot.gamification.settings.get(event.guild_id)
        guild = self.bot.get_guild(event.guild_id)
        await self._announce(event, config, guild)
        if guild is not None:
            await self._reward(guild, event.user_id)

    @commands.Cog.listener()
    async def on_achievement_unlock(self, event: AchievementUnlocked) -> None:
        guild = self.bot.get_guild(event.guild_id) if event.guild_id is not None else None
        if guild is None:
            return  # unlocked outside a guild: the host bot applies rewards when they chat
        rewarded = await self.bot.gamification.rewards.achievement_roles(guild.id)
        if event.achievement_id in rewarded:
            await self._reward(guild, event.user_id)

    async def _announce(
        self, event: LevelUp, config: GuildXPConfig, guild: discord.Guild | None
    ) -> None:
        announcement = announcement_for(event, config)
        if announcement is None:
            return
        try:
            if announcement.channel_id is None:
                user = self.bot.get_user(event.user_id) or await self.bot.fetch_user(event.user_id)
                where = f" in **{discord.utils.escape_markdown(guild.name)}**" if guild else ""
                await user.send(f"🎉 You reached **level {event.new_level}**{where}!")
            else:
                channel = self.bot.get_partial_messageable(
                    announcement.channel_id, guild_id=event.guild_id
                )
                await channel.send(
                    f"🎉 <@{event.user_id}> reached **level {event.new_level}**!",
                    allowed_mentions=MEMBER_PINGS,
                )
        except discord.HTTPException as exc:
            log.warning(
                "could not announce level %d of member %d in guild %d (%s): %s",
                event.new_level,
                event.user_id,
                event.guild_id,
                announcement.mode.value,
                exc,
            )

    async def _reward(self, guild: discord.Guild, user_id: int) -> None:
        if not await self.bot.gamification.rewards.table(guild.id):
            return
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                return  # they left the guild: nothing to give
        await sync_member_roles(self.bot, member)


async def setup(bot: FleetBot) -> None:
    await bot.add_cog(XPEvents(bot))
