"""Guild members and moderation: joining, leaving, roles, nicknames, timeouts, bans."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from botfleet.sandbox import moderation, payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    missing_access,
    missing_permissions,
    unknown,
)
from botfleet.sandbox.flags import ChannelType, GatewayIntent, Permission
from botfleet.sandbox.models import Application, Ban, Channel, Guild, Member, User
from botfleet.sandbox.models import Ban as BanModel
from botfleet.sandbox.resources.audit_log import AuditLogEvent, AuditLogState
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    audit_log_reason,
    body_int,
    body_timestamp,
    json_response,
    no_content,
    optional_text,
    path_snowflake,
    query_int,
    require_in_voice,
)
from botfleet.sandbox.resources.world import now
from botfleet.sandbox.validation import (
    parse_json_body,
)

if TYPE_CHECKING:
    from discord.types.gateway import GuildMemberUpdateEvent as GuildMemberUpdateEventPayload
    from discord.types.gateway import _GuildBanEvent as GuildBanEventPayload
    from discord.types.guild import Ban as BanPayload


def ban_payload(ban: BanModel) -> BanPayload:
    """A ban object (``GET /guilds/{id}/bans``)."""
    return {"reason": ban.reason, "user": payloads.user_payload(ban.user)}


def ban_event_payload(guild: Guild, user: User) -> GuildBanEventPayload:
    """GUILD_BAN_ADD and GUILD_BAN_REMOVE."""
    return {"guild_id": payloads.snowflake(guild.id), "user": payloads.user_payload(user)}


def member_update_payload(member: Member) -> GuildMemberUpdateEventPayload:
    """A GUILD_MEMBER_UPDATE: the member's whole current state."""
    payload = cast("GuildMemberUpdateEventPayload", payloads.member_with_user_payload(member))
    payload["guild_id"] = payloads.snowflake(member.guild_id)
    payload["avatar"] = None
    return payload


@dataclass(frozen=True)
class MemberEdit:
    """A change to a member; only the fields named in ``given`` change.

    ``nick=None`` with ``"nick"`` given clears the nickname, as ``communication_disabled_until
    =None`` lifts a timeout.
    """

    given: frozenset[str]
    nick: str | None = None
    role_ids: tuple[int, ...] = ()
    communication_disabled_until: datetime.datetime | None = None
    mute: bool = False
    deaf: bool = False


class MembersState(AuditLogState):
    """Members and bans, each change announced to the guild's bots."""

    def add_member(
        self, guild: Guild, user: User, *, role_ids: Iterable[int] = (), nick: str | None = None
    ) -> Member:
        """Make ``user`` join the guild.

        Bots already there hear GUILD_MEMBER_ADD; a joining bot receives the whole guild
        (GUILD_CREATE), as when it is invited to a server.
        """
        if user.id in guild.members:
            raise ValueError(f"{user.username} is already a member of {guild.name}")
        if user.id in guild.bans:
            raise ValueError(f"{user.username} is banned from {guild.name}")
        member = Member(
            user=user, guild_id=guild.id, role_ids=list(role_ids), joined_at=now(), nick=nick
        )
        others = self.bots_in(guild)
        guild.members[user.id] = member
        self._emit(
            "GUILD_MEMBER_ADD",
            others,
            lambda _app, _intents: {
                **payloads.member_with_user_payload(member),
                "guild_id": str(guild.id),
            },
            intent=GatewayIntent.GUILD_MEMBERS,
            guild_id=guild.id,
        )
        joining_app = self.application_of_user(user.id)
        if joining_app is not None:
            self._emit(
                "GUILD_CREATE",
                (joining_app,),
                lambda app, intents: payloads.guild_payload(guild, for_app=app, intents=intents),
                intent=GatewayIntent.GUILDS,
                guild_id=guild.id,
            )
        self._changed()
        return member

    def remove_member(self, guild: Guild, user_id: int) -> None:
        """Make a member leave (or be removed from) the guild, out of voice first."""
        if user_id not in guild.members:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        if user_id in guild.voice_states:
            self.set_voice_state(guild, guild.members[user_id].user, None)
        member = guild.members.pop(user_id)
        leaving_app = self.application_of_user(user_id)
        if leaving_app is not None:
            self._emit(
                "GUILD_DELETE",
                (leaving_app,),
                lambda _app, _intents: {"id": str(guild.id)},
                intent=GatewayIntent.GUILDS,
                guild_id=guild.id,
            )
        self._emit(
            "GUILD_MEMBER_REMOVE",
            self.bots_in(guild),
            lambda _app, _intents: {
                "guild_id": str(guild.id),
                "user": payloads.user_payload(member.user),
            },
            intent=GatewayIntent.GUILD_MEMBERS,
            guild_id=guild.id,
        )
        self._changed()

    def set_member_roles(self, guild: Guild, member: Member, role_ids: Iterable[int]) -> None:
        """Replace a member's roles and announce it (GUILD_MEMBER_UPDATE)."""
        self.edit_member(
            guild, member, MemberEdit(given=frozenset({"roles"}), role_ids=tuple(role_ids))
        )

    def edit_member(self, guild: Guild, member: Member, edit: MemberEdit) -> None:
        """Change a member's nickname, roles, timeout or server mute and deafen.

        One GUILD_MEMBER_UPDATE announces it; a member in voice whose server mute or deafen
        changed also gets a VOICE_STATE_UPDATE, as on Discord.
        """
        if "nick" in edit.given:
            member.nick = edit.nick or None
        if "roles" in edit.given:
            member.role_ids = list(dict.fromkeys(edit.role_ids))
        if "communication_disabled_until" in edit.given:
            member.communication_disabled_until = edit.communication_disabled_until
        voice_changed = False
        if "mute" in edit.given:
            voice_changed |= member.mute != edit.mute
            member.mute = edit.mute
        if "deaf" in edit.given:
            voice_changed |= member.deaf != edit.deaf
            member.deaf = edit.deaf
        self._emit(
            "GUILD_MEMBER_UPDATE",
            self.bots_in(guild),
            lambda _app, _intents: member_update_payload(member),
            intent=GatewayIntent.GUILD_MEMBERS,
            guild_id=guild.id,
        )
        voice = guild.voice_states.get(member.user.id)
        if voice_changed and voice is not None:
            self._announce_voice_state(guild, member, voice, session_id=voice.session_id)
        self._changed()

    def ban(
        self,
        guild: Guild,
        user: User,
        *,
        reason: str | None = None,
        delete_message_seconds: int = 0,
    ) -> Ban:
        """Ban a user (GUILD_BAN_ADD), remove them if a member, and purge their recent messages.

        Banning someone already banned changes nothing, as on Discord.
        """
        existing = guild.bans.get(user.id)
        if existing is not None:
            return existing
        ban = Ban(user=user, reason=reason)
        guild.bans[user.id] = ban
        self._emit(
            "GUILD_BAN_ADD",
            self.bots_in(guild),
            lambda _app, _intents: ban_event_payload(guild, user),
            intent=GatewayIntent.GUILD_MODERATION,
            guild_id=guild.id,
        )
        if user.id in guild.members:
            self.remove_member(guild, user.id)
        if delete_message_seconds > 0:
            since = now() - datetime.timedelta(seconds=delete_message_seconds)
            for channel in guild.channels.values():
                recent = [
                    message
                    for message in self.messages_in(channel)
                    if message.author.id == user.id and message.created_at >= since
                ]
                if recent:
                    self.bulk_delete(channel, recent)
        self._changed()
        return ban

    def unban(self, guild: Guild, user_id: int) -> None:
        """Lift a ban (GUILD_BAN_REMOVE); 10026 Unknown Ban if there is none."""
        ban = guild.bans.pop(user_id, None)
        if ban is None:
            raise unknown(JSONErrorCode.UNKNOWN_BAN, "Ban")
        self._emit(
            "GUILD_BAN_REMOVE",
            self.bots_in(guild),
            lambda _app, _intents: ban_event_payload(guild, ban.user),
            intent=GatewayIntent.GUILD_MODERATION,
            guild_id=guild.id,
        )
        self._changed()


class MemberRoutes(RouteHelpers):
    """The members routes of the HTTP API."""

    _state: MembersState

    async def get_member(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/members/{id}``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = guild.members.get(path_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        return json_response(payloads.member_payload(member))

    async def list_members(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/members``: needs the GUILD_MEMBERS privileged intent enabled."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        if not app.allowed_privileged_intents & GatewayIntent.GUILD_MEMBERS:
            raise missing_access()
        limit = query_int(request, "limit", 1, low=1, high=1000)
        after = query_int(request, "after", 0)
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )[:limit]
        return json_response([payloads.member_payload(member) for member in members])

    async def add_member_role(self, request: web.Request) -> web.Response:
        """``PUT /guilds/{id}/members/{id}/roles/{id}``: needs MANAGE_ROLES and a higher role."""
        app = self._authenticate(request)
        guild, member, role_id = self._role_change(request, app)
        self._state.set_member_roles(guild, member, [*member.role_ids, role_id])
        return no_content()

    async def remove_member_role(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/members/{id}/roles/{id}``."""
        app = self._authenticate(request)
        guild, member, role_id = self._role_change(request, app)
        self._state.set_member_roles(guild, member, [r for r in member.role_ids if r != role_id])
        return no_content()

    def _role_change(self, request: web.Request, app: Application) -> tuple[Guild, Member, int]:
        guild = self._guild_for(request, app)
        member = guild.members.get(path_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        role = guild.roles.get(path_snowflake(request, "role_id"))
        if role is None or role.id == guild.id:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        moderation.check_role_assignment(guild, app.bot_user.id, role)
        return guild, member, role.id

    def _member_in(self, request: web.Request, guild: Guild) -> Member:
        member = guild.members.get(path_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        return member

    async def edit_member(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/members/{id}``: nick, roles, timeout, voice mute, deafen, move.

        Every field is checked against the bot's permissions and the role hierarchy before
        anything changes, so a refused request changes nothing, as on Discord.
        """
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = self._member_in(request, guild)
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        edit = self._member_edit(guild, app.bot_user.id, member, body)
        move_to = self._voice_move(guild, app.bot_user.id, member, body)
        if edit.given:
            timeout_before = member.communication_disabled_until
            self._state.edit_member(guild, member, edit)
            if "communication_disabled_until" in edit.given:
                self._state.record_timeout(
                    guild, app.bot_user.id, member, timeout_before, audit_log_reason(request)
                )
        if "channel_id" in body:
            voice = guild.voice_states[member.user.id]
            self._state.set_voice_state(
                guild,
                member.user,
                move_to,
                self_mute=voice.self_mute,
                self_deaf=voice.self_deaf,
            )
        return json_response(payloads.member_with_user_payload(member))

    async def edit_own_member(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/members/@me``: the bot changes its own nickname."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = guild.members[app.bot_user.id]
        body = parse_json_body(await request.read())
        if isinstance(body, dict) and "nick" in body:
            nick = optional_text(body, "nick")
            moderation.check_nick(guild, app.bot_user.id, app.bot_user.id, nick)
            self._state.edit_member(guild, member, MemberEdit(given=frozenset({"nick"}), nick=nick))
        return json_response(payloads.member_with_user_payload(member))

    def _member_edit(
        self, guild: Guild, actor_id: int, member: Member, body: dict[str, Any]
    ) -> MemberEdit:
        target_id = member.user.id
        given: set[str] = set()
        nick = None
        if "nick" in body:
            nick = optional_text(body, "nick")
            moderation.check_nick(guild, actor_id, target_id, nick)
            given.add("nick")
        role_ids: tuple[int, ...] = ()
        if body.get("roles") is not None:
            role_ids = self._checked_roles(guild, actor_id, member, body["roles"])
            given.add("roles")
        until = None
        if "communication_disabled_until" in body:
            until = body_timestamp(body, "communication_disabled_until")
            moderation.check_timeout(guild, actor_id, target_id, until)
            given.add("communication_disabled_until")
        for key, permission in (
            ("mute", Permission.MUTE_MEMBERS),
            ("deaf", Permission.DEAFEN_MEMBERS),
        ):
            if body.get(key) is not None:
                moderation.require_permission(guild, actor_id, permission)
                require_in_voice(guild, target_id)
                given.add(key)
        return MemberEdit(
            given=frozenset(given),
            nick=nick,
            role_ids=role_ids,
            communication_disabled_until=until,
            mute=bool(body.get("mute")),
            deaf=bool(body.get("deaf")),
        )

    @staticmethod
    def _checked_roles(guild: Guild, actor_id: int, member: Member, raw: Any) -> tuple[int, ...]:
        if not isinstance(raw, list):
            errors = FormErrors()
            errors.add(("roles",), "BASE_TYPE_ARRAY", "Must be an array.")
            errors.raise_now()
        wanted: list[int] = []
        for raw_id in raw:
            role = guild.roles.get(int(raw_id)) if str(raw_id).isdigit() else None
            if role is None or role.id == guild.id:
                raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
            wanted.append(role.id)
        for role_id in set(wanted) ^ set(member.role_ids):
            moderation.check_role_assignment(guild, actor_id, guild.roles[role_id])
        return tuple(wanted)

    def _voice_move(
        self, guild: Guild, actor_id: int, member: Member, body: dict[str, Any]
    ) -> Channel | None:
        """The voice channel a PATCH moves the member to (``None``: disconnect), checked."""
        if "channel_id" not in body:
            return None
        moderation.require_permission(guild, actor_id, Permission.MOVE_MEMBERS)
        require_in_voice(guild, member.user.id)
        raw = body["channel_id"]
        if raw is None:
            return None
        channel = guild.channels.get(int(raw)) if str(raw).isdigit() else None
        if channel is None or channel.type is not ChannelType.GUILD_VOICE:
            errors = FormErrors()
            errors.add(("channel_id",), "CHANNEL_TYPE_INVALID", "Channel is not a voice channel")
            errors.raise_now()
        if not guild.permissions_in(channel, actor_id) & Permission.CONNECT:
            raise missing_permissions()
        return channel

    async def kick_member(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/members/{id}``: needs KICK_MEMBERS and a higher role."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = self._member_in(request, guild)
        moderation.check_kick(guild, app.bot_user.id, member.user.id)
        self._state.remove_member(guild, member.user.id)
        self._state.record_audit(
            guild,
            app.bot_user.id,
            AuditLogEvent.MEMBER_KICK,
            member.user.id,
            reason=audit_log_reason(request),
        )
        return no_content()

    async def ban_user(self, request: web.Request) -> web.Response:
        """``PUT /guilds/{id}/bans/{id}``: ban, optionally deleting the user's recent messages.

        discord.py sends ``delete_message_seconds`` in the query string, Discord's
        documentation in the body: both are read. The audit-log reason becomes the ban's reason.
        """
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        user = self._state.users.get(path_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        body = parse_json_body(await request.read())
        seconds = query_int(request, "delete_message_seconds", 0)
        if isinstance(body, dict) and body.get("delete_message_seconds") is not None:
            seconds = body_int(body, "delete_message_seconds")
        moderation.check_ban(guild, app.bot_user.id, user.id, seconds)
        reason = audit_log_reason(request)
        already = user.id in guild.bans
        self._state.ban(guild, user, reason=reason, delete_message_seconds=seconds)
        if not already:
            self._state.record_audit(
                guild, app.bot_user.id, AuditLogEvent.MEMBER_BAN_ADD, user.id, reason=reason
            )
        return no_content()

    async def unban_user(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/bans/{id}``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        user_id = path_snowflake(request, "user_id")
        self._state.unban(guild, user_id)
        self._state.record_audit(
            guild,
            app.bot_user.id,
            AuditLogEvent.MEMBER_BAN_REMOVE,
            user_id,
            reason=audit_log_reason(request),
        )
        return no_content()

    async def list_bans(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/bans``: by user id, paged with ``before``/``after`` and ``limit``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        limit = query_int(request, "limit", 1000, low=1, high=1000)
        bans = sorted(guild.bans.values(), key=lambda ban: ban.user.id)
        if "before" in request.query:
            before = query_int(request, "before", 0)
            bans = [ban for ban in bans if ban.user.id < before][-limit:]
        else:
            after = query_int(request, "after", 0)
            bans = [ban for ban in bans if ban.user.id > after][:limit]
        return json_response([ban_payload(ban) for ban in bans])

    async def get_ban(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/bans/{id}``: 10026 Unknown Ban when the user is not banned."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        ban = guild.bans.get(path_snowflake(request, "user_id"))
        if ban is None:
            raise unknown(JSONErrorCode.UNKNOWN_BAN, "Ban")
        return json_response(ban_payload(ban))
