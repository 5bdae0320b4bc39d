"""Guilds, their channels, roles and permission overwrites: their state and their HTTP routes."""

from __future__ import annotations

from aiohttp import web

from botfleet.sandbox import moderation, payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    missing_permissions,
    unknown,
)
from botfleet.sandbox.flags import (
    DEFAULT_EVERYONE_PERMISSIONS,
    ChannelType,
    GatewayIntent,
    OverwriteType,
    Permission,
)
from botfleet.sandbox.models import Channel, Guild, Member, PermissionOverwrite, Role, User
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    body_int,
    guild_channel_only,
    json_response,
    no_content,
    path_snowflake,
    permission_bits,
)
from botfleet.sandbox.resources.world import WorldState, now
from botfleet.sandbox.validation import (
    parse_json_body,
)

MAX_SLOWMODE_SECONDS = 21600
"""Discord's longest slowmode (``rate_limit_per_user``): six hours."""

_GATEWAY_ONLY_GUILD_FIELDS = (
    "members",
    "channels",
    "threads",
    "presences",
    "voice_states",
    "joined_at",
    "large",
    "member_count",
    "unavailable",
)


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

    def set_slowmode(self, channel: Channel, seconds: int) -> None:
        """Set how long members wait between messages in the channel (CHANNEL_UPDATE)."""
        channel.rate_limit_per_user = seconds
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


class GuildRoutes(RouteHelpers):
    """The guilds routes of the HTTP API."""

    _state: GuildsState

    async def get_guild(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}``: the guild without members and channels, as REST sends it."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        data = dict(payloads.guild_payload(guild, for_app=app, intents=0))
        for gateway_only in _GATEWAY_ONLY_GUILD_FIELDS:
            data.pop(gateway_only, None)
        return json_response(data)

    async def list_guild_channels(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/channels``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        return json_response([payloads.guild_channel_payload(c) for c in guild.channels.values()])

    async def list_roles(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/roles``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        return json_response([payloads.role_payload(role) for role in guild.roles.values()])

    async def delete_role(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/roles/{id}``: needs MANAGE_ROLES and a higher role."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        role = guild.roles.get(path_snowflake(request, "role_id"))
        if role is None or role.id == guild.id:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        moderation.check_role_assignment(guild, app.bot_user.id, role)
        self._state.delete_role(guild, role.id)
        return no_content()

    async def edit_channel(self, request: web.Request) -> web.Response:
        """``PATCH /channels/{id}``: a guild channel's slowmode (``rate_limit_per_user``).

        Discord wants Manage Channels in the channel and a slowmode of 0 to 21600 seconds.
        """
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = guild_channel_only(self._state.guild_of(channel))
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        if not guild.permissions_in(channel, app.bot_user.id) & Permission.MANAGE_CHANNELS:
            raise missing_permissions()
        if "rate_limit_per_user" in body:
            seconds = body_int(body, "rate_limit_per_user")
            errors = FormErrors()
            if seconds < 0:
                errors.add(
                    ("rate_limit_per_user",),
                    "NUMBER_TYPE_MIN",
                    "int value should be greater than or equal to 0.",
                )
            elif seconds > MAX_SLOWMODE_SECONDS:
                errors.add(
                    ("rate_limit_per_user",),
                    "NUMBER_TYPE_MAX",
                    f"int value should be less than or equal to {MAX_SLOWMODE_SECONDS}.",
                )
            errors.raise_if_any()
            self._state.set_slowmode(channel, seconds)
        return json_response(payloads.guild_channel_payload(channel))

    async def set_overwrite(self, request: web.Request) -> web.Response:
        """``PUT /channels/{id}/permissions/{id}``: allow and deny bits for a role or member."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = guild_channel_only(self._state.guild_of(channel))
        target_id = path_snowflake(request, "target_id")
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        errors = FormErrors()
        kind = body.get("type")
        if kind not in (0, 1, "0", "1"):
            errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
        allow, deny = (
            permission_bits(errors, body, "allow"),
            permission_bits(errors, body, "deny"),
        )
        errors.raise_if_any()
        overwrite_type = OverwriteType(int(str(kind)))
        if overwrite_type is OverwriteType.ROLE and target_id not in guild.roles:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        if overwrite_type is OverwriteType.MEMBER and target_id not in guild.members:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        moderation.check_overwrite(guild, channel, app.bot_user.id, allow, deny)
        self._state.set_overwrite(
            channel, PermissionOverwrite(id=target_id, type=overwrite_type, allow=allow, deny=deny)
        )
        return no_content()

    async def delete_overwrite(self, request: web.Request) -> web.Response:
        """``DELETE /channels/{id}/permissions/{id}``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = guild_channel_only(self._state.guild_of(channel))
        moderation.check_overwrite(guild, channel, app.bot_user.id, 0, 0)
        self._state.delete_overwrite(channel, path_snowflake(request, "target_id"))
        return no_content()
