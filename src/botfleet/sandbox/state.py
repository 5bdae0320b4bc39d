"""The sandbox's world and every change to it, with the gateway events each change causes.

REST handlers (what bots do) and the scripting API (what test members do) both change the world
through ``SandboxState``, so a message is stored, announced and awaited the same way whoever
sent it. Each change tells its subscribers (the gateway hub, waiting tests) right away.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import datetime
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import DiscordHTTPError, FormErrors, JSONErrorCode, unknown
from botfleet.sandbox.models import (
    DEFAULT_EVERYONE_PERMISSIONS,
    DM_PERMISSIONS,
    EDITABLE_MESSAGE_FLAGS,
    PRIVILEGED_INTENTS,
    Application,
    ApplicationCommand,
    Attachment,
    Ban,
    Channel,
    ChannelType,
    GatewayIntent,
    Guild,
    Interaction,
    InteractionCallbackType,
    InteractionType,
    Member,
    Message,
    MessageFlag,
    MessageType,
    Permission,
    PermissionOverwrite,
    Poll,
    PollAnswer,
    Reaction,
    Role,
    User,
    VoiceState,
)
from botfleet.sandbox.snowflakes import DISCORD_EPOCH_MS, SnowflakeGenerator
from botfleet.sandbox.validation import (
    CommandDraft,
    MessageDraft,
    PollDraft,
    Upload,
    check_components_v2_fields,
    parse_message,
    validate_autocomplete,
    validate_modal,
)

log = logging.getLogger(__name__)

INTERACTION_RESPONSE_DEADLINE = 3.0
"""Seconds Discord gives a bot to give an interaction its first answer."""

INTERACTION_TOKEN_LIFETIME = 15 * 60.0
"""Seconds an interaction token stays valid for followups and edits."""

POLL_HOUR = 3600.0
"""Real seconds one hour of a poll's duration lasts (tests shorten it to see polls expire)."""

_HISTORY_PROCESS_BITS = 31 << 12
"""Backdated ids carry their own process id, so they never collide with live ones."""

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

Renderer = Callable[[Application, int], Mapping[str, Any]]
"""Builds an event's payload for one receiving application, given the intents it identified with."""


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


@dataclass(frozen=True)
class GatewayEvent:
    """A dispatch event and the applications that should receive it."""

    name: str
    recipients: tuple[Application, ...]
    required_intent: GatewayIntent | None
    render: Renderer
    guild_id: int | None = None


class EventSubscriber(Protocol):
    """Anything that wants to hear about gateway events (the gateway hub, recorders)."""

    def deliver(self, event: GatewayEvent) -> None:
        """Take one event; must not block."""


class ChangeFeed:
    """Wakes every waiter whenever the world changes, so waits need no polling."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def notify(self) -> None:
        """Wake everyone waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Wait for the next change, or at most ``seconds``."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout=max(seconds, 0.0))
        except TimeoutError:
            return


class SandboxState:
    """All applications, users, guilds, channels, messages and interactions of one sandbox."""

    def __init__(
        self,
        *,
        base_url: Callable[[], str],
        interaction_deadline: float = INTERACTION_RESPONSE_DEADLINE,
        interaction_token_lifetime: float = INTERACTION_TOKEN_LIFETIME,
        poll_hour: float = POLL_HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url
        self.interaction_deadline = interaction_deadline
        self.interaction_token_lifetime = interaction_token_lifetime
        self.poll_hour = poll_hour
        self._clock = clock
        self.snowflakes = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.applications: dict[int, Application] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.attachments: dict[int, Attachment] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._history_ids = 0
        self._subscribers: list[EventSubscriber] = []
        self._poll_timers: dict[int, asyncio.TimerHandle] = {}
        self.changes = ChangeFeed()

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, subscriber: EventSubscriber) -> None:
        """Send every future gateway event to ``subscriber``."""
        self._subscribers.append(subscriber)

    def _emit(
        self,
        name: str,
        recipients: Iterable[Application],
        render: Renderer,
        *,
        intent: GatewayIntent | None,
        guild_id: int | None = None,
    ) -> None:
        event = GatewayEvent(name, tuple(recipients), intent, render, guild_id)
        for subscriber in self._subscribers:
            subscriber.deliver(event)

    def _changed(self) -> None:
        self.changes.notify()

    # -- lookups -------------------------------------------------------------------------

    def application_by_token(self, token: str) -> Application | None:
        """The application a bot token belongs to."""
        for app in self.applications.values():
            if secrets.compare_digest(app.token, token):
                return app
        return None

    def application_of_user(self, user_id: int) -> Application | None:
        """The application whose bot user has this id."""
        for app in self.applications.values():
            if app.bot_user.id == user_id:
                return app
        return None

    def guilds_of(self, app: Application) -> list[Guild]:
        """The guilds the application's bot is a member of."""
        return [guild for guild in self.guilds.values() if app.bot_user.id in guild.members]

    def bots_in(self, guild: Guild) -> list[Application]:
        """The applications whose bots are members of the guild."""
        return [app for app in self.applications.values() if app.bot_user.id in guild.members]

    def guild_of(self, channel: Channel) -> Guild | None:
        """The guild of a guild channel, ``None`` for a DM."""
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    def channel_permissions(self, channel: Channel, user_id: int) -> int:
        """A user's permissions in a channel: roles and overwrites; everything text-like in a DM."""
        if channel.guild_id is None:
            return int(DM_PERMISSIONS) if user_id in channel.recipient_ids else 0
        return self.guilds[channel.guild_id].permissions_in(channel, user_id)

    def can(self, channel: Channel, user_id: int, permission: Permission) -> bool:
        """Whether the user holds ``permission`` in the channel."""
        return bool(self.channel_permissions(channel, user_id) & permission)

    def can_see(self, user: User, message: Message) -> bool:
        """Whether Discord shows the message to ``user``.

        A DM only to its two recipients, an ephemeral answer only to the member who ran the
        interaction, anything else to whoever may view the channel.
        """
        channel = self.channels[message.channel_id]
        if channel.type is ChannelType.DM:
            return user.id in channel.recipient_ids
        if message.ephemeral and message.interaction_id is not None:
            return self.interactions[message.interaction_id].user.id == user.id
        return self.can(channel, user.id, Permission.VIEW_CHANNEL)

    def messages_in(self, channel: Channel, *, include_deleted: bool = False) -> list[Message]:
        """The channel's messages, oldest first."""
        found = (
            self.messages[message_id] for message_id in self._channel_messages.get(channel.id, [])
        )
        return [message for message in found if include_deleted or not message.deleted]

    # -- world building ------------------------------------------------------------------

    def create_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> User:
        """Register a new account."""
        user = User(
            id=self.snowflakes.next(),
            username=username,
            global_name=global_name if global_name is not None else (None if bot else username),
            bot=bot,
        )
        self.users[user.id] = user
        self._changed()
        return user

    def create_application(
        self,
        name: str,
        *,
        owner: User | None = None,
        privileged_intents: GatewayIntent = PRIVILEGED_INTENTS,
        description: str = "",
    ) -> Application:
        """Register a bot application with its bot user and a token of Discord's shape."""
        owner = owner or self.create_user(f"{name.lower().replace(' ', '_')}_owner")
        bot_user = self.create_user(name.lower().replace(" ", "_"), bot=True, global_name=name)
        app_id = bot_user.id
        encoded_id = base64.urlsafe_b64encode(str(app_id).encode()).decode().rstrip("=")
        token = f"{encoded_id}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        app = Application(
            id=app_id,
            name=name,
            token=token,
            bot_user=bot_user,
            owner=owner,
            description=description,
            allowed_privileged_intents=privileged_intents,
        )
        self.applications[app.id] = app
        self._changed()
        return app

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
            user=owner, guild_id=guild_id, role_ids=[], joined_at=_now()
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
            user=user, guild_id=guild.id, role_ids=list(role_ids), joined_at=_now(), nick=nick
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

    # -- moderation ----------------------------------------------------------------------

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
            since = _now() - datetime.timedelta(seconds=delete_message_seconds)
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

    # -- voice ---------------------------------------------------------------------------

    def voice_refusal(self, guild: Guild, user: User, channel: Channel) -> str | None:
        """Why Discord would not let ``user`` into the voice channel, or ``None`` if it would."""
        if channel.guild_id != guild.id or channel.type is not ChannelType.GUILD_VOICE:
            return f"{channel.name or channel.id} is not a voice channel of {guild.name}"
        permissions = guild.permissions_in(channel, user.id)
        for needed in (Permission.VIEW_CHANNEL, Permission.CONNECT):
            if not permissions & needed:
                return f"{user.username} lacks {needed.name} in {channel.name}"
        inside = sum(
            1
            for voice in guild.voice_states.values()
            if voice.channel_id == channel.id and voice.user_id != user.id
        )
        full = bool(channel.user_limit) and inside >= channel.user_limit
        if full and not permissions & Permission.MOVE_MEMBERS:
            return f"{channel.name} is full ({channel.user_limit} members)"
        return None

    def set_voice_state(
        self,
        guild: Guild,
        user: User,
        channel: Channel | None,
        *,
        session_id: str | None = None,
        self_mute: bool = False,
        self_deaf: bool = False,
    ) -> VoiceState | None:
        """Put a member in a voice channel, move them, or (``None``) disconnect them.

        Bots in the guild hear VOICE_STATE_UPDATE (with the GUILD_VOICE_STATES intent).
        """
        member = guild.members[user.id]
        previous = guild.voice_states.get(user.id)
        if channel is None:
            if previous is None:
                return None
            del guild.voice_states[user.id]
            self._announce_voice_state(guild, member, None, session_id=previous.session_id)
            self._changed()
            return None
        voice = VoiceState(
            user_id=user.id,
            channel_id=channel.id,
            session_id=session_id
            or (previous.session_id if previous is not None else secrets.token_hex(16)),
            self_mute=self_mute,
            self_deaf=self_deaf,
        )
        guild.voice_states[user.id] = voice
        self._announce_voice_state(guild, member, voice, session_id=voice.session_id)
        self._changed()
        return voice

    def _announce_voice_state(
        self, guild: Guild, member: Member, voice: VoiceState | None, *, session_id: str
    ) -> None:
        self._emit(
            "VOICE_STATE_UPDATE",
            self.bots_in(guild),
            lambda _app, _intents: payloads.voice_state_payload(
                guild, member, voice, session_id=session_id
            ),
            intent=GatewayIntent.GUILD_VOICE_STATES,
            guild_id=guild.id,
        )

    def announce_voice_server(self, app: Application, guild: Guild, *, endpoint: str) -> None:
        """Tell a bot which voice server to use (VOICE_SERVER_UPDATE, needing no intent)."""
        token = secrets.token_hex(8)
        self._emit(
            "VOICE_SERVER_UPDATE",
            (app,),
            lambda _app, _intents: payloads.voice_server_payload(
                guild, token=token, endpoint=endpoint
            ),
            intent=None,
            guild_id=guild.id,
        )

    # -- messages ------------------------------------------------------------------------

    def dm_channel(self, first: User, second: User) -> Channel:
        """The DM channel between two users, created on first use."""
        wanted = {first.id, second.id}
        for channel in self.channels.values():
            if channel.type is ChannelType.DM and set(channel.recipient_ids) == wanted:
                return channel
        channel = Channel(
            id=self.snowflakes.next(),
            type=ChannelType.DM,
            name="",
            guild_id=None,
            recipient_ids=(first.id, second.id),
        )
        self.channels[channel.id] = channel
        self._changed()
        return channel

    def message_audience(self, channel: Channel) -> list[Application]:
        """The applications that receive events of messages in this channel."""
        if channel.guild_id is None:
            return [
                app
                for user_id in channel.recipient_ids
                if (app := self.application_of_user(user_id)) is not None
            ]
        guild = self.guilds[channel.guild_id]
        return [
            app
            for app in self.bots_in(guild)
            if self.can(channel, app.bot_user.id, Permission.VIEW_CHANNEL)
        ]

    def post_message(
        self,
        channel: Channel,
        author: User,
        draft: MessageDraft,
        *,
        message_type: MessageType = MessageType.DEFAULT,
        application: Application | None = None,
        interaction: Interaction | None = None,
        extra_flags: int = 0,
    ) -> Message:
        """Store a new message and announce it (MESSAGE_CREATE) unless it is ephemeral."""
        message = self._build_message(
            channel,
            author,
            draft,
            message_id=self.snowflakes.next(),
            created_at=_now(),
            message_type=message_type,
            application=application,
            interaction=interaction,
            extra_flags=extra_flags,
        )
        self.messages[message.id] = message
        self._channel_messages.setdefault(channel.id, []).append(message.id)
        if not message.ephemeral:
            channel.last_message_id = message.id
            self._announce_message("MESSAGE_CREATE", message, channel)
        self._schedule_poll_end(message)
        self._changed()
        return message

    def record_history(
        self, channel: Channel, author: User, draft: MessageDraft, *, sent_at: datetime.datetime
    ) -> Message:
        """Store a message as sent at ``sent_at`` in the past, without announcing it.

        Its id encodes ``sent_at`` as Discord's would, so checks that read age from ids
        (bulk deletes refuse messages older than 14 days) see an old message.
        """
        milliseconds = int(sent_at.timestamp() * 1000) - DISCORD_EPOCH_MS
        self._history_ids = (self._history_ids + 1) & 0xFFF
        message_id = (milliseconds << 22) | (1 << 17) | _HISTORY_PROCESS_BITS | self._history_ids
        message = self._build_message(
            channel, author, draft, message_id=message_id, created_at=sent_at
        )
        self.messages[message.id] = message
        bisect.insort(self._channel_messages.setdefault(channel.id, []), message.id)
        self._changed()
        return message

    def _build_message(
        self,
        channel: Channel,
        author: User,
        draft: MessageDraft,
        *,
        message_id: int,
        created_at: datetime.datetime,
        message_type: MessageType = MessageType.DEFAULT,
        application: Application | None = None,
        interaction: Interaction | None = None,
        extra_flags: int = 0,
    ) -> Message:
        referenced_id = self._resolve_reply(channel, draft)
        if referenced_id is not None and message_type is MessageType.DEFAULT:
            message_type = MessageType.REPLY
        message = Message(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=draft.content,
            created_at=created_at,
            type=message_type,
            embeds=list(draft.embeds),
            components=list(draft.components),
            attachments=self._store_uploads(channel, draft),
            flags=draft.flags | extra_flags,
            tts=draft.tts,
            nonce=draft.nonce,
            webhook_id=application.id if application is not None else None,
            application_id=application.id if application is not None else None,
            interaction_id=interaction.id if interaction is not None else None,
            referenced_message_id=referenced_id,
            poll=_poll_from_draft(draft.poll, created_at),
        )
        self._apply_mentions(message, channel)
        return message

    def _resolve_reply(self, channel: Channel, draft: MessageDraft) -> int | None:
        if draft.reply_to_message_id is None:
            return None
        target = self.messages.get(draft.reply_to_message_id)
        if target is not None and target.channel_id == channel.id and not target.deleted:
            return target.id
        if not draft.fail_if_reply_target_missing:
            return None
        errors = FormErrors()
        errors.add(
            ("message_reference",),
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            "Unknown message",
        )
        errors.raise_now()

    def _store_uploads(self, channel: Channel, draft: MessageDraft) -> list[Attachment]:
        return [
            self.store_attachment(
                channel,
                upload.filename,
                upload.content_type,
                upload.data,
                description=draft.attachment_descriptions.get(upload.index),
            )
            for upload in draft.uploads
        ]

    def store_attachment(
        self,
        channel: Channel,
        filename: str,
        content_type: str,
        data: bytes,
        *,
        description: str | None = None,
    ) -> Attachment:
        """Keep an uploaded file and give it a URL the sandbox serves it from."""
        attachment_id = self.snowflakes.next()
        attachment = Attachment(
            id=attachment_id,
            filename=filename,
            content_type=content_type,
            data=data,
            url=f"{self._base_url()}/attachments/{channel.id}/{attachment_id}/{filename}",
            description=description,
        )
        self.attachments[attachment_id] = attachment
        return attachment

    def _apply_mentions(self, message: Message, channel: Channel) -> None:
        guild = self.guild_of(channel)
        known_users = guild.members if guild is not None else dict.fromkeys(channel.recipient_ids)
        message.mention_user_ids = list(
            dict.fromkeys(
                int(found)
                for found in _USER_MENTION.findall(message.content)
                if int(found) in known_users
            )
        )
        if guild is None:
            return
        message.mention_role_ids = list(
            dict.fromkeys(
                int(found)
                for found in _ROLE_MENTION.findall(message.content)
                if int(found) in guild.roles
            )
        )
        message.mention_everyone = "@everyone" in message.content and self.can(
            channel, message.author.id, Permission.MENTION_EVERYONE
        )

    def _announce_message(self, name: str, message: Message, channel: Channel) -> None:
        def render(app: Application, intents: int) -> Mapping[str, Any]:
            return payloads.message_payload(
                message,
                state=self,
                viewer=app.bot_user,
                redact_content=not self._may_read_content(app, intents, message),
            )

        intent = (
            GatewayIntent.DIRECT_MESSAGES
            if channel.guild_id is None
            else GatewayIntent.GUILD_MESSAGES
        )
        self._emit(
            name, self.message_audience(channel), render, intent=intent, guild_id=channel.guild_id
        )

    @staticmethod
    def _may_read_content(app: Application, intents: int, message: Message) -> bool:
        """Discord's MESSAGE_CONTENT rule: without the intent, only DMs, own messages, mentions."""
        return bool(
            intents & GatewayIntent.MESSAGE_CONTENT
            or message.guild_id is None
            or message.author.id == app.bot_user.id
            or app.bot_user.id in message.mention_user_ids
        )

    def edit_message(self, message: Message, draft: MessageDraft) -> Message:
        """Apply the fields the edit carried and announce it (MESSAGE_UPDATE).

        An edit that would leave the message with nothing to show is refused (50006), as is
        content or an embed on a message with IS_COMPONENTS_V2 (50035), which an edit may add.
        A draft carries a poll only when a followup fills a deferral.
        """
        channel = self.channels[message.channel_id]
        content = draft.content if "content" in draft.given else message.content
        embeds = list(draft.embeds) if "embeds" in draft.given else message.embeds
        components = list(draft.components) if "components" in draft.given else message.components
        replacing_files = "attachments" in draft.given
        attachments = message.attachments
        if replacing_files:
            kept_ids = set(draft.kept_attachment_ids or [])
            attachments = [a for a in message.attachments if a.id in kept_ids]
        new_files = draft.uploads if replacing_files else []
        poll = (
            message.poll if draft.poll is None else _poll_from_draft(draft.poll, message.created_at)
        )
        if not (content or embeds or components or attachments or new_files or poll):
            raise DiscordHTTPError(
                400, JSONErrorCode.CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message"
            )
        flags = message.flags
        if "flags" in draft.given:
            kept = flags & (MessageFlag.EPHEMERAL | MessageFlag.IS_COMPONENTS_V2)
            flags = kept | (draft.flags & EDITABLE_MESSAGE_FLAGS)
        if flags & MessageFlag.IS_COMPONENTS_V2:
            errors = FormErrors()
            check_components_v2_fields(errors, content, embeds)
            errors.raise_if_any()
        if new_files:
            attachments = attachments + self._store_uploads(channel, draft)
        message.content, message.embeds, message.components = content, embeds, components
        message.attachments = attachments
        message.poll = poll
        message.flags = flags & ~int(MessageFlag.LOADING)
        message.edited_at = _now()
        message.edit_count += 1
        self._apply_mentions(message, channel)
        if not message.ephemeral:
            self._announce_message("MESSAGE_UPDATE", message, channel)
        self._schedule_poll_end(message)
        self._changed()
        return message

    def delete_message(self, message: Message) -> None:
        """Delete a message and announce it (MESSAGE_DELETE); a poll on it never ends."""
        message.deleted = True
        self._cancel_poll_timer(message.id)
        channel = self.channels[message.channel_id]
        if not message.ephemeral:
            event: dict[str, str] = {"id": str(message.id), "channel_id": str(channel.id)}
            if channel.guild_id is not None:
                event["guild_id"] = str(channel.guild_id)
            intent = (
                GatewayIntent.DIRECT_MESSAGES
                if channel.guild_id is None
                else GatewayIntent.GUILD_MESSAGES
            )
            self._emit(
                "MESSAGE_DELETE",
                self.message_audience(channel),
                lambda _app, _intents: event,
                intent=intent,
                guild_id=channel.guild_id,
            )
        self._changed()

    def bulk_delete(self, channel: Channel, messages: Sequence[Message]) -> None:
        """Delete several messages of a channel at once (one MESSAGE_DELETE_BULK)."""
        for message in messages:
            message.deleted = True
        self._emit(
            "MESSAGE_DELETE_BULK",
            self.message_audience(channel),
            lambda _app, _intents: payloads.bulk_delete_payload(
                channel, [message.id for message in messages]
            ),
            intent=GatewayIntent.GUILD_MESSAGES,
            guild_id=channel.guild_id,
        )
        self._changed()

    def start_typing(self, channel: Channel, user: User) -> None:
        """Announce that a user started typing (TYPING_START)."""
        event: dict[str, Any] = {
            "channel_id": str(channel.id),
            "user_id": str(user.id),
            "timestamp": int(time.time()),
        }
        guild = self.guild_of(channel)
        if guild is not None:
            event["guild_id"] = str(guild.id)
            event["member"] = payloads.member_with_user_payload(guild.members[user.id])
        intent = (
            GatewayIntent.DIRECT_MESSAGE_TYPING
            if guild is None
            else GatewayIntent.GUILD_MESSAGE_TYPING
        )
        recipients = [app for app in self.message_audience(channel) if app.bot_user.id != user.id]
        self._emit(
            "TYPING_START",
            recipients,
            lambda _app, _intents: event,
            intent=intent,
            guild_id=channel.guild_id,
        )

    def add_reaction(
        self, message: Message, user: User, emoji_name: str, emoji_id: int | None
    ) -> None:
        """Add a user's reaction and announce it (MESSAGE_REACTION_ADD)."""
        reaction = next(
            (r for r in message.reactions if (r.emoji_name, r.emoji_id) == (emoji_name, emoji_id)),
            None,
        )
        if reaction is None:
            reaction = Reaction(emoji_name=emoji_name, emoji_id=emoji_id)
            message.reactions.append(reaction)
        if user.id in reaction.user_ids:
            return
        reaction.user_ids.append(user.id)
        guild = self.guild_of(self.channels[message.channel_id])
        self._announce_reaction(
            "MESSAGE_REACTION_ADD",
            message,
            lambda _app, _intents: payloads.reaction_add_payload(
                message, user, emoji_name, emoji_id, guild=guild
            ),
        )

    def remove_reaction(
        self, message: Message, user: User, emoji_name: str, emoji_id: int | None
    ) -> None:
        """Remove a user's reaction and announce it (MESSAGE_REACTION_REMOVE)."""
        for reaction in message.reactions:
            if (reaction.emoji_name, reaction.emoji_id) == (emoji_name, emoji_id) and (
                user.id in reaction.user_ids
            ):
                reaction.user_ids.remove(user.id)
                if not reaction.user_ids:
                    message.reactions.remove(reaction)
                self._announce_reaction(
                    "MESSAGE_REACTION_REMOVE",
                    message,
                    lambda _app, _intents: payloads.reaction_remove_payload(
                        message, user, emoji_name, emoji_id
                    ),
                )
                return

    def clear_reactions(self, message: Message) -> None:
        """Remove every reaction of a message (MESSAGE_REACTION_REMOVE_ALL)."""
        message.reactions.clear()
        self._announce_reaction(
            "MESSAGE_REACTION_REMOVE_ALL",
            message,
            lambda _app, _intents: payloads.reaction_remove_all_payload(message),
        )

    def clear_reaction(self, message: Message, emoji_name: str, emoji_id: int | None) -> None:
        """Remove every reaction with one emoji (MESSAGE_REACTION_REMOVE_EMOJI)."""
        message.reactions = [
            reaction
            for reaction in message.reactions
            if (reaction.emoji_name, reaction.emoji_id) != (emoji_name, emoji_id)
        ]
        self._announce_reaction(
            "MESSAGE_REACTION_REMOVE_EMOJI",
            message,
            lambda _app, _intents: payloads.reaction_remove_emoji_payload(
                message, emoji_name, emoji_id
            ),
        )

    def _announce_reaction(self, name: str, message: Message, render: Renderer) -> None:
        channel = self.channels[message.channel_id]
        intent = (
            GatewayIntent.DIRECT_MESSAGE_REACTIONS
            if channel.guild_id is None
            else GatewayIntent.GUILD_MESSAGE_REACTIONS
        )
        self._emit(
            name, self.message_audience(channel), render, intent=intent, guild_id=channel.guild_id
        )
        self._changed()

    # -- polls ---------------------------------------------------------------------------

    def vote(self, message: Message, user: User, answer_ids: Sequence[int]) -> None:
        """Cast ``user``'s votes, as Discord's client does (MESSAGE_POLL_VOTE_ADD for each).

        Raises ``ValueError`` for what the client would not let a member do: vote on an ended
        poll, vote twice without removing the first vote, choose several answers of a
        single-choice poll, or an answer the poll lacks.
        """
        poll = _open_poll(message)
        wanted = list(answer_ids)
        if poll.votes_of(user.id):
            raise ValueError(f"{user.username} already voted; remove the vote first")
        if not wanted or len(set(wanted)) != len(wanted):
            raise ValueError(f"choose one or more different answers, not {wanted}")
        if len(wanted) > 1 and not poll.allow_multiselect:
            raise ValueError("this poll takes one answer only")
        answers = [poll.answer(answer_id) for answer_id in wanted]
        known = [answer.answer_id for answer in poll.answers]
        if any(answer is None for answer in answers):
            raise ValueError(f"the poll's answers are {known}, not {wanted}")
        for answer in answers:
            if answer is not None:
                answer.voter_ids.append(user.id)
                self._announce_vote("MESSAGE_POLL_VOTE_ADD", message, user, answer.answer_id)
        self._changed()

    def remove_votes(self, message: Message, user: User) -> None:
        """Take back all of ``user``'s votes (MESSAGE_POLL_VOTE_REMOVE for each)."""
        poll = _open_poll(message)
        chosen = poll.votes_of(user.id)
        if not chosen:
            raise ValueError(f"{user.username} has not voted")
        for answer in poll.answers:
            if user.id in answer.voter_ids:
                answer.voter_ids.remove(user.id)
                self._announce_vote("MESSAGE_POLL_VOTE_REMOVE", message, user, answer.answer_id)
        self._changed()

    def _announce_vote(self, name: str, message: Message, user: User, answer_id: int) -> None:
        channel = self.channels[message.channel_id]
        intent = (
            GatewayIntent.DIRECT_MESSAGE_POLLS
            if channel.guild_id is None
            else GatewayIntent.GUILD_MESSAGE_POLLS
        )
        self._emit(
            name,
            self.message_audience(channel),
            lambda _app, _intents: payloads.poll_vote_payload(message, user, answer_id),
            intent=intent,
            guild_id=channel.guild_id,
        )

    def end_poll(self, message: Message) -> Message:
        """End a poll now: its results are final (MESSAGE_UPDATE) and Discord posts the
        POLL_RESULT message under it; returns that result message."""
        poll = message.poll
        if poll is None:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.CANNOT_EXPIRE_NON_POLL_MESSAGE,
                "Cannot expire a non-poll message",
            )
        if poll.finalized:
            raise DiscordHTTPError(400, JSONErrorCode.POLL_EXPIRED, "Poll expired")
        self._cancel_poll_timer(message.id)
        poll.finalized = True
        channel = self.channels[message.channel_id]
        if not message.ephemeral:
            self._announce_message("MESSAGE_UPDATE", message, channel)
        result = MessageDraft(
            given=frozenset(),
            embeds=[payloads.poll_result_embed(poll)],
            reply_to_message_id=message.id,
        )
        return self.post_message(
            channel, message.author, result, message_type=MessageType.POLL_RESULT
        )

    def poll_voters(
        self, message: Message, answer_id: int, *, after: int, limit: int
    ) -> list[User]:
        """Who chose an answer, by user id after ``after``, at most ``limit``."""
        poll = message.poll
        answer = poll.answer(answer_id) if poll is not None else None
        if answer is None:
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        voters = sorted(voter for voter in answer.voter_ids if voter > after)[:limit]
        return [self.users[voter] for voter in voters]

    def _schedule_poll_end(self, message: Message) -> None:
        """Start the timer that ends a newly sent poll at its expiry (once per poll)."""
        poll = message.poll
        if poll is None or poll.finalized or message.id in self._poll_timers:
            return
        loop = asyncio.get_running_loop()
        hours = (poll.expiry - message.created_at).total_seconds() / 3600
        self._poll_timers[message.id] = loop.call_later(
            max(hours, 0.0) * self.poll_hour, self._expire_poll, message
        )

    def _expire_poll(self, message: Message) -> None:
        self._poll_timers.pop(message.id, None)
        if message.poll is not None and not message.poll.finalized and not message.deleted:
            self.end_poll(message)

    def _cancel_poll_timer(self, message_id: int) -> None:
        timer = self._poll_timers.pop(message_id, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        """Stop every poll timer: a stopped sandbox ends no more polls."""
        for message_id in list(self._poll_timers):
            self._cancel_poll_timer(message_id)

    # -- application commands ------------------------------------------------------------

    def replace_commands(
        self, app: Application, guild_id: int | None, drafts: list[CommandDraft]
    ) -> list[ApplicationCommand]:
        """Bulk-overwrite an application's global or guild commands, keeping ids by name."""
        current = (
            app.global_commands if guild_id is None else app.guild_commands.setdefault(guild_id, {})
        )
        by_key = {(command.type, command.name): command for command in current.values()}
        replaced: dict[int, ApplicationCommand] = {}
        for draft in drafts:
            existing = by_key.get((draft.type, draft.name))
            command = self._command_from_draft(app, guild_id, draft, existing)
            replaced[command.id] = command
        current.clear()
        current.update(replaced)
        self._changed()
        return list(replaced.values())

    def upsert_command(
        self, app: Application, guild_id: int | None, draft: CommandDraft
    ) -> tuple[ApplicationCommand, bool]:
        """Create a command, or replace the one of the same name; True if it is new."""
        current = (
            app.global_commands if guild_id is None else app.guild_commands.setdefault(guild_id, {})
        )
        existing = next(
            (c for c in current.values() if (c.type, c.name) == (draft.type, draft.name)), None
        )
        command = self._command_from_draft(app, guild_id, draft, existing)
        current[command.id] = command
        self._changed()
        return command, existing is None

    def delete_command(self, app: Application, guild_id: int | None, command_id: int) -> None:
        """Delete one registered command."""
        current = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        if current.pop(command_id, None) is None:
            raise unknown(JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command")
        self._changed()

    def _command_from_draft(
        self,
        app: Application,
        guild_id: int | None,
        draft: CommandDraft,
        existing: ApplicationCommand | None,
    ) -> ApplicationCommand:
        return ApplicationCommand(
            id=existing.id if existing is not None else self.snowflakes.next(),
            application_id=app.id,
            guild_id=guild_id,
            name=draft.name,
            type=draft.type,
            description=draft.description,
            options=draft.options,
            default_member_permissions=draft.default_member_permissions,
            contexts=draft.contexts,
            integration_types=draft.integration_types,
            nsfw=draft.nsfw,
            name_localizations=draft.name_localizations,
            description_localizations=draft.description_localizations,
            version=self.snowflakes.next(),
        )

    # -- interactions --------------------------------------------------------------------

    def create_interaction(
        self,
        app: Application,
        user: User,
        channel: Channel,
        interaction_type: InteractionType,
        data: dict[str, Any],
        *,
        command: ApplicationCommand | None = None,
        command_name: str | None = None,
        source_message: Message | None = None,
        triggering: Interaction | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        """Start an interaction and send it to its application (INTERACTION_CREATE)."""
        interaction = Interaction(
            id=self.snowflakes.next(),
            token=f"aW50ZXJhY3Rpb246{secrets.token_urlsafe(96)}",
            application=app,
            type=interaction_type,
            user=user,
            channel=channel,
            guild_id=channel.guild_id,
            data=data,
            created_monotonic=self._clock(),
            locale=locale,
            command_name=command_name,
            command_type=command.type if command is not None else None,
            source_message_id=source_message.id if source_message is not None else None,
            triggering_interaction_id=triggering.id if triggering is not None else None,
        )
        self.interactions[interaction.id] = interaction
        self._emit(
            "INTERACTION_CREATE",
            (app,),
            lambda _app, _intents: payloads.interaction_payload(interaction, state=self),
            intent=None,
            guild_id=channel.guild_id,
        )
        self._changed()
        return interaction

    def interaction_age(self, interaction: Interaction) -> float:
        """Seconds since the interaction was created."""
        return self._clock() - interaction.created_monotonic

    def respond_to_interaction(
        self, interaction: Interaction, body: Mapping[str, Any], *, uploads: Sequence[Upload] = ()
    ) -> Message | None:
        """Apply an interaction callback; return the message it created or updated.

        Discord refuses a second acknowledgement with 40060 and a first answer after the
        3-second deadline with 10062 (the interaction no longer exists for it).
        """
        if interaction.acknowledged:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.INTERACTION_ALREADY_ACKNOWLEDGED,
                "Interaction has already been acknowledged.",
            )
        if self.interaction_age(interaction) > self.interaction_deadline:
            log.warning(
                "The bot answered interaction %s after %.2fs, past Discord's %.1fs deadline",
                interaction.id,
                self.interaction_age(interaction),
                self.interaction_deadline,
            )
            raise unknown(JSONErrorCode.UNKNOWN_INTERACTION, "interaction")
        response_type = self._callback_type(interaction, body.get("type"))
        data = body.get("data") or {}
        if not isinstance(data, dict):
            errors = FormErrors()
            errors.add(
                ("data",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
            )
            errors.raise_now()
        message = self._apply_callback(interaction, response_type, data, uploads)
        interaction.response_type = response_type
        self._changed()
        return message

    def _callback_type(self, interaction: Interaction, raw_type: Any) -> InteractionCallbackType:
        allowed = {
            InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
            InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        }
        if interaction.type is InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            allowed = {InteractionCallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT}
        elif interaction.type is not InteractionType.MODAL_SUBMIT:
            allowed.add(InteractionCallbackType.MODAL)
        if interaction.source_message_id is not None:
            allowed |= {
                InteractionCallbackType.DEFERRED_UPDATE_MESSAGE,
                InteractionCallbackType.UPDATE_MESSAGE,
            }
        if raw_type not in {int(kind) for kind in allowed}:
            errors = FormErrors()
            choices = ", ".join(str(int(kind)) for kind in sorted(allowed))
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {{{choices}}}.")
            errors.raise_now()
        return InteractionCallbackType(raw_type)

    def _apply_callback(
        self,
        interaction: Interaction,
        response_type: InteractionCallbackType,
        data: dict[str, Any],
        uploads: Sequence[Upload],
    ) -> Message | None:
        app = interaction.application
        if response_type is InteractionCallbackType.MODAL:
            interaction.modal = validate_modal(data)
            return None
        if response_type is InteractionCallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            interaction.choices = validate_autocomplete(data, _focused_option_type(interaction))
            return None
        if response_type is InteractionCallbackType.DEFERRED_UPDATE_MESSAGE:
            return None
        if response_type is InteractionCallbackType.UPDATE_MESSAGE:
            source = self.messages[interaction.source_message_id or 0]
            return self.edit_message(source, parse_message(data, uploads, editing=True))
        deferred = response_type is InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        if deferred:
            ephemeral = int(data.get("flags") or 0) & MessageFlag.EPHEMERAL
            draft = MessageDraft(given=frozenset(), flags=ephemeral)
        else:
            draft = parse_message(data, uploads, ephemeral_allowed=True)
        extra_flags = MessageFlag.LOADING if deferred else 0
        message_type = (
            MessageType.CHAT_INPUT_COMMAND
            if interaction.command_type == 1
            else MessageType.CONTEXT_MENU_COMMAND
            if interaction.command_type in (2, 3)
            else MessageType.DEFAULT
        )
        message = self.post_message(
            interaction.channel,
            app.bot_user,
            draft,
            message_type=message_type,
            application=app,
            interaction=interaction,
            extra_flags=extra_flags,
        )
        interaction.original_message_id = message.id
        return message

    def interaction_for_webhook(self, application_id: int, token: str) -> Interaction:
        """The interaction behind a webhook token, refusing unknown and expired tokens."""
        for interaction in self.interactions.values():
            if interaction.application.id == application_id and secrets.compare_digest(
                interaction.token, token
            ):
                if self.interaction_age(interaction) > self.interaction_token_lifetime:
                    raise DiscordHTTPError(
                        401, JSONErrorCode.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token"
                    )
                if not interaction.acknowledged:
                    raise unknown(JSONErrorCode.UNKNOWN_WEBHOOK, "Webhook")
                return interaction
        raise DiscordHTTPError(401, JSONErrorCode.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")

    def send_followup(self, interaction: Interaction, draft: MessageDraft) -> Message:
        """Send a followup through the interaction's webhook (it may be ephemeral).

        Right after a deferral (callback type 5) Discord makes the first followup the answer
        itself: it fills the "is thinking..." message, which keeps its id and the deferral's
        ephemeral flag whatever the followup asks, instead of posting a new message. Later
        followups, and any after the answer was edited, are new messages.
        """
        placeholder = self._unfilled_deferral(interaction)
        if placeholder is not None:
            message = self.edit_message(placeholder, draft)
        else:
            app = interaction.application
            message = self.post_message(
                interaction.channel,
                app.bot_user,
                draft,
                application=app,
                interaction=interaction,
            )
            interaction.followup_message_ids.append(message.id)
        interaction.followup_results.append(message.id)
        self._changed()
        return message

    def _unfilled_deferral(self, interaction: Interaction) -> Message | None:
        """The "is thinking..." message of a deferral that nothing has filled yet.

        Once the member deleted it, Discord answers the followup that would fill it with
        10008 Unknown Message.
        """
        if interaction.response_type is not (
            InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        ):
            return None
        original = self.messages.get(interaction.original_message_id or 0)
        if original is None or not original.loading:
            return None
        if original.deleted:
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return original

    def interaction_message(self, interaction: Interaction, message_ref: str) -> Message:
        """``@original`` or a followup id, as the webhook message routes name them.

        For a component interaction answered by updating its message, ``@original`` is the
        message the component is on, as on Discord.
        """
        if message_ref == "@original":
            message_id = interaction.original_message_id or (
                interaction.source_message_id
                if interaction.response_type
                in (
                    InteractionCallbackType.UPDATE_MESSAGE,
                    InteractionCallbackType.DEFERRED_UPDATE_MESSAGE,
                )
                else None
            )
        else:
            try:
                message_id = int(message_ref)
            except ValueError:
                raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message") from None
            if message_id != interaction.original_message_id and (
                message_id not in interaction.followup_message_ids
            ):
                message_id = None
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return message


def _poll_from_draft(draft: PollDraft | None, sent_at: datetime.datetime) -> Poll | None:
    if draft is None:
        return None
    return Poll(
        question=draft.question,
        answers=[
            PollAnswer(answer_id=number, text=answer.text, emoji=answer.emoji)
            for number, answer in enumerate(draft.answers, start=1)
        ],
        allow_multiselect=draft.allow_multiselect,
        layout_type=draft.layout_type,
        expiry=sent_at + datetime.timedelta(hours=draft.duration_hours),
    )


def _open_poll(message: Message) -> Poll:
    """The message's poll, if members may still vote on it."""
    if message.deleted or message.poll is None:
        raise ValueError(f"there is no poll to vote on in {message.describe()}")
    if message.poll.finalized:
        raise ValueError(f"the poll {message.poll.question!r} has ended")
    return message.poll


def _focused_option_type(interaction: Interaction) -> int:
    """The type of the option an autocomplete interaction is about."""
    pending = list(interaction.data.get("options") or [])
    while pending:
        option = pending.pop()
        if option.get("focused"):
            return int(option["type"])
        pending.extend(option.get("options") or [])
    raise ValueError(f"autocomplete interaction {interaction.id} has no focused option")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
