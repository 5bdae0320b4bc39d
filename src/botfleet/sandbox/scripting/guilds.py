"""``SandboxGuild``: a test's handle on a guild: roles, members, bots, channels, moderation."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from botfleet.sandbox import moderation
from botfleet.sandbox.flags import ChannelType, Permission
from botfleet.sandbox.models import Application, Ban, Guild, Role, User
from botfleet.sandbox.resources.audit_log import AuditLogEntry, AuditLogEvent
from botfleet.sandbox.scripting.members import (
    DEFAULT_BOT_PERMISSIONS,
    SandboxChannel,
    SandboxMember,
    user_of,
)
from botfleet.sandbox.scripting.waits import (
    SandboxScriptError,
    ScriptedSandbox,
    permission_value,
    refused_as_script_error,
)
from botfleet.sandbox.state import MemberEdit

if TYPE_CHECKING:
    pass


class SandboxGuild:
    """A guild seen from a test: add members, bots, roles and channels; find them by name."""

    def __init__(self, sandbox: ScriptedSandbox, guild: Guild) -> None:
        self.sandbox = sandbox
        self.guild = guild

    @property
    def id(self) -> int:
        """The guild's id."""
        return self.guild.id

    @property
    def name(self) -> str:
        """The guild's name."""
        return self.guild.name

    def __repr__(self) -> str:
        return f"<SandboxGuild {self.guild.name} id={self.guild.id}>"

    @property
    def owner(self) -> SandboxMember:
        """The guild's owner (holds every permission)."""
        return SandboxMember(
            self.sandbox, self.sandbox.state.users[self.guild.owner_id], self.guild
        )

    def add_role(
        self,
        name: str,
        *,
        permissions: int | discord.Permissions = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Role:
        """Create a role (``permissions``: int or discord.Permissions).

        It goes above the existing roles, or at ``position`` (1 is just above @everyone,
        below every other role), pushing the roles from there on up.
        """
        return self.sandbox.state.create_role(
            self.guild,
            name,
            permissions=permission_value(permissions),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            position=position,
        )

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        for role in self.guild.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"{self.guild.name} has no role {name!r}")

    def add_member(
        self,
        name: str,
        *,
        roles: Sequence[Role] = (),
        permissions: int | discord.Permissions | None = None,
        nick: str | None = None,
        accepts_dms: bool = True,
        account_age: datetime.timedelta | None = None,
        avatar: bool = False,
    ) -> SandboxMember:
        """A new person joins the guild (bots there hear GUILD_MEMBER_ADD).

        ``permissions`` gives the member a role of their own holding them, since on Discord
        permissions only ever come from roles. ``account_age`` makes the account that old
        (its id says when it was made, as on Discord); ``avatar`` gives it one.
        """
        created_at = (
            None if account_age is None else datetime.datetime.now(datetime.UTC) - account_age
        )
        user = self.sandbox.state.create_user(
            name, created_at=created_at, avatar=f"a{name.encode().hex()[:30]}" if avatar else None
        )
        user.accepts_dms = accepts_dms
        role_ids = [role.id for role in roles]
        if permissions is not None:
            own = self.add_role(f"{name} permissions", permissions=permissions)
            role_ids.append(own.id)
        self.sandbox.state.add_member(self.guild, user, role_ids=role_ids, nick=nick)
        return SandboxMember(self.sandbox, user, self.guild)

    def add_bot(
        self, app: Application, *, permissions: int | discord.Permissions = DEFAULT_BOT_PERMISSIONS
    ) -> SandboxMember:
        """Invite an application's bot: it gets a managed role and receives GUILD_CREATE."""
        role = self.sandbox.state.create_role(
            self.guild, app.name, permissions=permission_value(permissions), bot_id=app.bot_user.id
        )
        self.sandbox.state.add_member(self.guild, app.bot_user, role_ids=[role.id])
        return SandboxMember(self.sandbox, app.bot_user, self.guild)

    async def join_burst(
        self,
        count: int,
        *,
        prefix: str = "raider",
        account_age: datetime.timedelta | None = None,
        avatar: bool = False,
    ) -> list[SandboxMember]:
        """``count`` new accounts join one after the other, as in a raid."""
        joined = [
            self.add_member(f"{prefix}{number}", account_age=account_age, avatar=avatar)
            for number in range(count)
        ]
        await asyncio.sleep(0)
        return joined

    @property
    def verification_level(self) -> int:
        """0 (none) to 4 (highest)."""
        return self.guild.verification_level

    def member(self, name: str) -> SandboxMember:
        """The member whose username is ``name``."""
        for member in self.guild.members.values():
            if member.user.username == name:
                return SandboxMember(self.sandbox, member.user, self.guild)
        raise KeyError(f"{self.guild.name} has no member {name!r}")

    async def remove_member(self, member: SandboxMember) -> None:
        """The member leaves the guild (GUILD_MEMBER_REMOVE, or GUILD_DELETE for a bot)."""
        self.sandbox.state.remove_member(self.guild, member.id)
        await asyncio.sleep(0)

    async def delete_role(self, role: Role) -> None:
        """Delete a role, as an admin would (GUILD_ROLE_DELETE; members lose it)."""
        self.sandbox.state.delete_role(self.guild, role.id)
        await asyncio.sleep(0)

    async def give_role(self, member: SandboxMember, role: Role) -> None:
        """Give a member a role, as a moderator would (GUILD_MEMBER_UPDATE)."""
        model = self.guild.members[member.id]
        self.sandbox.state.set_member_roles(self.guild, model, [*model.role_ids, role.id])
        await asyncio.sleep(0)

    async def take_role(self, member: SandboxMember, role: Role) -> None:
        """Take a role away from a member (GUILD_MEMBER_UPDATE)."""
        model = self.guild.members[member.id]
        self.sandbox.state.set_member_roles(
            self.guild, model, [r for r in model.role_ids if r != role.id]
        )
        await asyncio.sleep(0)

    def _actor(self, by: SandboxMember | None) -> User:
        return by.user if by is not None else self.sandbox.state.users[self.guild.owner_id]

    def permissions_of(self, member: SandboxMember) -> discord.Permissions:
        """The member's guild-wide permissions (owner and administrators hold everything)."""
        return discord.Permissions(self.guild.permissions_of(member.id))

    @property
    def audit_log(self) -> list[AuditLogEntry]:
        """The guild's audit-log entries, oldest first."""
        return list(self.sandbox.state.audit_logs.get(self.guild.id, []))

    @property
    def bans(self) -> list[Ban]:
        """The guild's bans."""
        return list(self.guild.bans.values())

    def join(self, who: SandboxMember | User) -> SandboxMember:
        """An existing user joins (or rejoins, after a kick) the guild; banned users cannot."""
        user = user_of(who)
        try:
            self.sandbox.state.add_member(self.guild, user)
        except ValueError as error:
            raise SandboxScriptError(str(error)) from error
        return SandboxMember(self.sandbox, user, self.guild)

    async def kick(
        self, member: SandboxMember, *, by: SandboxMember | None = None, reason: str | None = None
    ) -> None:
        """``by`` (default: the owner) kicks the member (GUILD_MEMBER_REMOVE)."""
        actor = self._actor(by)
        with refused_as_script_error(actor, f"kick {member.name}"):
            moderation.check_kick(self.guild, actor.id, member.id)
        self.sandbox.state.remove_member(self.guild, member.id)
        self.sandbox.state.record_audit(
            self.guild, actor.id, AuditLogEvent.MEMBER_KICK, member.id, reason=reason
        )
        await asyncio.sleep(0)

    async def ban(
        self,
        target: SandboxMember | User,
        *,
        by: SandboxMember | None = None,
        reason: str | None = None,
        delete_message_seconds: int = 0,
    ) -> Ban:
        """``by`` (default: the owner) bans a member or any user (GUILD_BAN_ADD, and
        GUILD_MEMBER_REMOVE for a member), deleting their messages of the last
        ``delete_message_seconds`` (MESSAGE_DELETE_BULK)."""
        actor, user = self._actor(by), user_of(target)
        with refused_as_script_error(actor, f"ban {user.username}"):
            moderation.check_ban(self.guild, actor.id, user.id, delete_message_seconds)
        already = user.id in self.guild.bans
        ban = self.sandbox.state.ban(
            self.guild, user, reason=reason, delete_message_seconds=delete_message_seconds
        )
        if not already:
            self.sandbox.state.record_audit(
                self.guild, actor.id, AuditLogEvent.MEMBER_BAN_ADD, user.id, reason=reason
            )
        await asyncio.sleep(0)
        return ban

    async def unban(self, target: SandboxMember | User, *, by: SandboxMember | None = None) -> None:
        """Lift a ban (GUILD_BAN_REMOVE)."""
        actor, user = self._actor(by), user_of(target)
        with refused_as_script_error(actor, f"unban {user.username}"):
            moderation.check_unban(self.guild, actor.id)
            self.sandbox.state.unban(self.guild, user.id)
        self.sandbox.state.record_audit(
            self.guild, actor.id, AuditLogEvent.MEMBER_BAN_REMOVE, user.id
        )
        await asyncio.sleep(0)

    async def timeout(
        self,
        member: SandboxMember,
        duration: datetime.timedelta | datetime.datetime | None,
        *,
        by: SandboxMember | None = None,
    ) -> None:
        """Time a member out for a duration or until a moment (``None`` lifts the timeout)."""
        actor = self._actor(by)
        until = (
            datetime.datetime.now(datetime.UTC) + duration
            if isinstance(duration, datetime.timedelta)
            else duration
        )
        with refused_as_script_error(actor, f"time out {member.name}"):
            moderation.check_timeout(self.guild, actor.id, member.id, until)
        model = self.guild.members[member.id]
        before = model.communication_disabled_until
        self.sandbox.state.edit_member(
            self.guild,
            model,
            MemberEdit(
                given=frozenset({"communication_disabled_until"}),
                communication_disabled_until=until,
            ),
        )
        self.sandbox.state.record_timeout(self.guild, actor.id, model, before, None)
        await asyncio.sleep(0)

    async def set_nick(
        self, member: SandboxMember, nick: str | None, *, by: SandboxMember | None = None
    ) -> None:
        """Change a member's nickname (``by`` defaults to the member themself)."""
        actor = by.user if by is not None else member.user
        with refused_as_script_error(actor, f"rename {member.name}"):
            moderation.check_nick(self.guild, actor.id, member.id, nick)
        self.sandbox.state.edit_member(
            self.guild,
            self.guild.members[member.id],
            MemberEdit(given=frozenset({"nick"}), nick=nick),
        )
        await asyncio.sleep(0)

    async def disconnect_voice(
        self, member: SandboxMember, *, by: SandboxMember | None = None
    ) -> None:
        """A moderator disconnects a member (or a bot) from voice."""
        actor = self._actor(by)
        with refused_as_script_error(actor, f"disconnect {member.name}"):
            moderation.require_permission(self.guild, actor.id, Permission.MOVE_MEMBERS)
        if member.id not in self.guild.voice_states:
            raise SandboxScriptError(f"{member.name} is not connected to voice")
        self.sandbox.state.set_voice_state(self.guild, member.user, None)
        await asyncio.sleep(0)

    async def move_voice(
        self, member: SandboxMember, channel: SandboxChannel, *, by: SandboxMember | None = None
    ) -> None:
        """A moderator drags a member (or a bot) into another voice channel.

        As on Discord, it takes Move Members, and only someone connected can be moved; the
        member's clients hear VOICE_STATE_UPDATE with the new channel.
        """
        actor = self._actor(by)
        with refused_as_script_error(actor, f"move {member.name}"):
            moderation.require_permission(self.guild, actor.id, Permission.MOVE_MEMBERS)
        if member.id not in self.guild.voice_states:
            raise SandboxScriptError(f"{member.name} is not connected to voice")
        if channel.channel.type is not ChannelType.GUILD_VOICE:
            raise SandboxScriptError(f"#{channel.channel.name} is not a voice channel")
        self.sandbox.state.set_voice_state(self.guild, member.user, channel.channel)
        await asyncio.sleep(0)

    def add_category(self, name: str) -> SandboxChannel:
        """Create a channel category."""
        channel = self.sandbox.state.create_channel(self.guild, name, ChannelType.GUILD_CATEGORY)
        return SandboxChannel(self.sandbox, channel)

    def add_text_channel(
        self, name: str, *, category: SandboxChannel | None = None, topic: str | None = None
    ) -> SandboxChannel:
        """Create a text channel."""
        channel = self.sandbox.state.create_channel(
            self.guild,
            name,
            ChannelType.GUILD_TEXT,
            parent=category.channel if category else None,
            topic=topic,
        )
        return SandboxChannel(self.sandbox, channel)

    def add_voice_channel(
        self, name: str, *, category: SandboxChannel | None = None
    ) -> SandboxChannel:
        """Create a voice channel."""
        channel = self.sandbox.state.create_channel(
            self.guild, name, ChannelType.GUILD_VOICE, parent=category.channel if category else None
        )
        return SandboxChannel(self.sandbox, channel)

    def channel(self, name: str) -> SandboxChannel:
        """The channel called ``name``."""
        for channel in self.guild.channels.values():
            if channel.name == name:
                return SandboxChannel(self.sandbox, channel)
        raise KeyError(f"{self.guild.name} has no channel {name!r}")
