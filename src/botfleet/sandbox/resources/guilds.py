"""Guilds, their channels, roles and permission overwrites: the state part of the stand-in."""

from __future__ import annotations

from botfleet.sandbox import payloads
from botfleet.sandbox.models import (
    DEFAULT_EVERYONE_PERMISSIONS,
    Channel,
    ChannelType,
    GatewayIntent,
    Guild,
    Member,
    PermissionOverwrite,
    Role,
    User,
)
from botfleet.sandbox.resources.world import WorldState, now


class GuildsState(WorldState):
    """Guilds, channels, roles and overwrites, each change announced to the guild's bots."""

    def create_guild(self, name: str, *, owner: User, locale: str = "en-US") -> Guild:
        """Create a guild with its @everyone role and its owner as first member."""
        guild_id = self.snowflakes.next()
        guild = Guild(id=guild_id, name=name, owner_id=owner.id, locale=locale)
        guild.roles[guild_id] = Role(
            id=guild_id,
            guild_id=guild_id,
            name="@everyone",
            permissions=int(DEFAULT_EVERYONE_PERMISSIONS),
            position=0,
        )
        guild.members[owner.id] = Member(
            user=owner, guild_id=guild_id, role_ids=[], joined_at=now()
        )
        self.guilds[guild_id] = guild
        self._changed()
        return guild

    def create_channel(
        self,
        guild: Guild,
        name: str,
        channel_type: ChannelType,
        *,
        parent: Channel | None = None,
        topic: str | None = None,
    ) -> Channel:
        """Add a channel to a guild and announce it (CHANNEL_CREATE)."""
        position = sum(1 for channel in guild.channels.values() if channel.type == channel_type)
        channel = Channel(
            id=self.snowflakes.next(),
            type=channel_type,
            name=name,
            guild_id=guild.id,
            position=position,
            parent_id=parent.id if parent is not None else None,
            topic=topic,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self._emit(
            "CHANNEL_CREATE",
            self.bots_in(guild),
            lambda _app, _intents: payloads.guild_channel_payload(channel),
            intent=GatewayIntent.GUILDS,
            guild_id=guild.id,
        )
        self._changed()
        return channel

    def create_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
        bot_id: int | None = None,
    ) -> Role:
        """Add a role to a guild, on top unless ``position`` says otherwise.

        A role put at a taken position pushes that role and those above it up one place, as
        Discord keeps positions unique (GUILD_ROLE_UPDATE for each moved role).
        """
        if position is None:
            position = max(role.position for role in guild.roles.values()) + 1
        for moved in sorted(guild.roles.values(), key=lambda role: -role.position):
            if moved.position >= position and moved.id != guild.id:
                moved.position += 1
                self._announce_role("GUILD_ROLE_UPDATE", guild, moved)
        role = Role(
            id=self.snowflakes.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=position,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            bot_id=bot_id,
        )
        guild.roles[role.id] = role
        self._announce_role("GUILD_ROLE_CREATE", guild, role)
        self._changed()
        return role

    def delete_role(self, guild: Guild, role_id: int) -> None:
        """Remove a role: members lose it silently and bots hear GUILD_ROLE_DELETE, as on Discord
        (which sends no member update for a deleted role)."""
        if role_id == guild.id or role_id not in guild.roles:
            raise ValueError(f"{guild.name} has no deletable role {role_id}")
        del guild.roles[role_id]
        for member in guild.members.values():
            if role_id in member.role_ids:
                member.role_ids = [kept for kept in member.role_ids if kept != role_id]
        for channel in guild.channels.values():
            channel.overwrites.pop(role_id, None)
        self._emit(
            "GUILD_ROLE_DELETE",
            self.bots_in(guild),
            lambda _app, _intents: {
                "guild_id": payloads.snowflake(guild.id),
                "role_id": payloads.snowflake(role_id),
            },
            intent=GatewayIntent.GUILDS,
            guild_id=guild.id,
        )
        self._changed()

    def _announce_role(self, name: str, guild: Guild, role: Role) -> None:
        self._emit(
            name,
            self.bots_in(guild),
            lambda _app, _intents: payloads.role_event_payload(guild, role),
            intent=GatewayIntent.GUILDS,
            guild_id=guild.id,
        )

    def set_overwrite(self, channel: Channel, overwrite: PermissionOverwrite) -> None:
        """Set a channel's overwrite for a role or member (CHANNEL_UPDATE)."""
        channel.overwrites[overwrite.id] = overwrite
        self._announce_channel_update(channel)

    def delete_overwrite(self, channel: Channel, target_id: int) -> None:
        """Remove a channel's overwrite for a role or member (CHANNEL_UPDATE)."""
        if channel.overwrites.pop(target_id, None) is not None:
            self._announce_channel_update(channel)

    def _announce_channel_update(self, channel: Channel) -> None:
        guild = self.guild_of(channel)
        if guild is None:
            raise ValueError("only guild channels have permission overwrites")
        self._emit(
            "CHANNEL_UPDATE",
            self.bots_in(guild),
            lambda _app, _intents: payloads.guild_channel_payload(channel),
            intent=GatewayIntent.GUILDS,
            guild_id=guild.id,
        )
        self._changed()
