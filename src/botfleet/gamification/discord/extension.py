"""The XP extension every bot of the fleet loads: it earns XP and announces level-ups.

Chat messages earn message XP (the guild's range, once per cooldown shared by every bot in the
guild), and completed slash and prefix commands earn command XP, both through the bot's shared
:class:`~botfleet.gamification.Gamification`. With six bots in one guild each hears the same
message: each buffers it, and the save keeps only the first within the cooldown, so the member
earns once, and the one process whose save caused a level-up applies the level's role rewards.

**One announcer.** Which process saved a message says nothing about who should speak of it, so
level-ups and achievements caused by chat (messages, commands) are announced by the host bot
(``gamification.host_bot``), where the guild chose: a process that is not the host hands them
over through the event bus when it reaches the host (RabbitMQ, or the host in the same
process), else through the shared timer table (:data:`ANNOUNCEMENT_EVENT`, fired by the host
within its ``scheduler.max_sleep``). What a game caused is announced by the bot that ran the
game (see :func:`~botfleet.gamification.events.announcer_of`).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.events_bus import BusUnavailableError, XPAnnouncement, announcement_key
from botfleet.gamification.announcements import announcement_for
from botfleet.gamification.discord.role_sync import sync_member_roles
from botfleet.gamification.events import AchievementUnlocked, LevelUp, announcer_of
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MEMBER_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=True)
ANNOUNCEMENT_EVENT: Final = "xp_announcement"
"""The timer another process leaves for the announcer (``on_xp_announcement_timer_complete``)."""


def achievement_line(user_id: int, name: str, description: str | None) -> str:
    """How an unlock reads in a channel, whichever bot announces it."""
    about = f" — {description}" if description else ""
    return f"🏆 <@{user_id}> unlocked **{name}**{about}"


async def announce_game_achievement(
    bot: FleetBot, unlock: AchievementUnlocked, game_bot: str
) -> None:
    """Announce, where it was played, an achievement a game of ``game_bot`` unlocked.

    Achievements unlocked by chat are the host bot's to announce (:class:`XPEvents`), and a
    game outside a channel has nowhere to be announced; both are left alone.
    """
    if unlock.bot_name != game_bot or unlock.from_chat or unlock.channel_id is None:
        return
    channel = bot.get_partial_messageable(unlock.channel_id)
    try:
        await channel.send(
            achievement_line(unlock.user_id, unlock.name, unlock.description),
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException:
        log.warning(
            "could not announce achievement %d in channel %d",
            unlock.achievement_id,
            unlock.channel_id,
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """A level-up or an achievement to announce in a guild, as it travels between processes.

    ``user_id`` stays a top-level key of the timer payload, so a data-deletion request finds it.
    """

    user_id: int
    guild_id: int
    channel_id: int | None
    level: int | None = None
    achievement: str | None = None
    description: str | None = None

    @classmethod
    def of(cls, event: LevelUp | AchievementUnlocked, guild_id: int) -> Notice:
        if isinstance(event, LevelUp):
            return cls(event.user_id, guild_id, event.channel_id, level=event.new_level)
        return cls(
            event.user_id,
            guild_id,
            event.channel_id,
            achievement=event.name,
            description=event.description,
        )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Notice:
        return cls(**payload)

    def in_channel(self) -> str:
        if self.achievement is None:
            return f"🎉 <@{self.user_id}> reached **level {self.level}**!"
        return achievement_line(self.user_id, self.achievement, self.description)

    def in_dm(self, guild_name: str | None) -> str:
        where = f" in **{discord.utils.escape_markdown(guild_name)}**" if guild_name else ""
        if self.achievement is None:
            return f"🎉 You reached **level {self.level}**{where}!"
        about = f" — {self.description}" if self.description else ""
        return f"🏆 You unlocked **{self.achievement}**{where}{about}"


def sent_seconds(message_id: int) -> float:
    """When a message was sent, in epoch seconds, read off its id (no datetime per message)."""
    return ((message_id >> 22) + discord.utils.DISCORD_EPOCH) / 1000


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

    async def cog_load(self) -> None:
        self.bot.bus.subscribe(
            XPAnnouncement,
            self._on_bus_announcement,
            consumer=self.bot.name,
            name="xp-announcement",
            key=announcement_key(self.bot.name),
        )
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)
        self.bot.bus.unsubscribe(self._on_bus_announcement)

    async def _on_bus_announcement(self, event: XPAnnouncement) -> None:
        """Another bot saved what this bot announces."""
        await self._announce(Notice.from_payload(event.notice))

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """Chat XP, decided as the message arrives (a message hook: no task per message)."""
        author = message.author
        if message.guild is None or author.bot or message.webhook_id is not None:
            return None
        if message.is_system():
            return None  # Discord wrote it in the member's name (a join, a pin, an AutoMod alert)
        return self.bot.gamification.xp.hear_message(
            author.id,
            message.guild.id,
            message.channel.id,
            author._roles if isinstance(author, discord.Member) else (),
            sent_at=sent_seconds(message.id),
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
        announcer = announcer_of(event, self.host_bot) or self.bot.name
        await self._announce_by(announcer, Notice.of(event, event.guild_id))
        guild = self.bot.get_guild(event.guild_id)
        if guild is not None:
            await self._reward(guild, event.user_id)

    @commands.Cog.listener()
    async def on_achievement_unlock(self, event: AchievementUnlocked) -> None:
        if event.guild_id is None:
            return  # unlocked outside a guild: the host bot applies rewards when they chat
        if event.from_chat:  # a game's achievements are announced with its result, by its bot
            await self._announce_by(self.host_bot, Notice.of(event, event.guild_id))
        guild = self.bot.get_guild(event.guild_id)
        if guild is None:
            return
        rewarded = await self.bot.gamification.rewards.achievement_roles(guild.id)
        if event.achievement_id in rewarded:
            await self._reward(guild, event.user_id)

    @commands.Cog.listener()
    async def on_xp_announcement_timer_complete(self, timer: ScheduledTimer) -> None:
        """Another process saved what this bot announces."""
        try:
            notice = Notice.from_payload(timer.payload)
        except TypeError:
            log.error("timer %d is not an XP announcement: %r", timer.id, timer.payload)
            return
        await self._announce(notice)

    @property
    def host_bot(self) -> str:
        return self.bot.gamification.options.host_bot

    async def _announce_by(self, announcer: str, notice: Notice) -> None:
        """Announce here if this bot is the announcer, else leave it to that bot's process."""
        if announcer == self.bot.name:
            await self._announce(notice)
            return
        if self.bot.bus.delivers_to(announcer):
            event = XPAnnouncement(
                source_bot=self.bot.name, announcer=announcer, notice=asdict(notice)
            )
            try:
                await self.bot.bus.publish(event)
            except BusUnavailableError as exc:
                log.warning("the event bus did not take an announcement (%s); using timers", exc)
            else:
                return
        await self.bot.scheduler.schedule(
            discord.utils.utcnow(), ANNOUNCEMENT_EVENT, asdict(notice), target=announcer
        )

    async def _announce(self, notice: Notice) -> None:
        """Say it where the guild chose: the channel it was earned in, a chosen one, DMs or off."""
        config = await self.bot.gamification.settings.get(notice.guild_id)
        announcement = announcement_for(notice, config)
        if announcement is None:
            return
        guild = self.bot.get_guild(notice.guild_id)
        try:
            if announcement.channel_id is None:
                user = self.bot.get_user(notice.user_id) or await self.bot.fetch_user(
                    notice.user_id
                )
                await user.send(notice.in_dm(guild.name if guild else None))
            else:
                channel = self.bot.get_partial_messageable(
                    announcement.channel_id, guild_id=notice.guild_id
                )
                await channel.send(notice.in_channel(), allowed_mentions=MEMBER_PINGS)
        except discord.HTTPException as exc:
            log.warning(
                "could not announce %s of member %d in guild %d (%s): %s",
                notice.achievement or f"level {notice.level}",
                notice.user_id,
                notice.guild_id,
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
