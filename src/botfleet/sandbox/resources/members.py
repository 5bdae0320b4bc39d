"""Guild members and moderation: joining, leaving, roles, nicknames, timeouts, bans."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import JSONErrorCode, unknown
from botfleet.sandbox.models import (
    Ban,
    GatewayIntent,
    Guild,
    Member,
    User,
)
from botfleet.sandbox.resources.polls import PollsState
from botfleet.sandbox.resources.world import now


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


class MembersState(PollsState):
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
            lambda _app, _intents: payloads.member_update_payload(member),
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
            lambda _app, _intents: payloads.ban_event_payload(guild, user),
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
            lambda _app, _intents: payloads.ban_event_payload(guild, ban.user),
            intent=GatewayIntent.GUILD_MODERATION,
            guild_id=guild.id,
        )
        self._changed()
