"""The sandbox's own record of the Discord world: users, bot applications, guilds, messages.

These are plain data holders. ``state.SandboxState`` changes them and tells connected bots what
changed; ``payloads`` turns them into the JSON Discord would send. Embeds and components are
kept in the JSON shape the bot sent (after validation), because that is what Discord echoes.
The kinds and bit flags they carry are in ``flags``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botfleet.sandbox.flags import (
    ALL_PERMISSIONS,
    NEEDS_SEND_MESSAGES,
    PRIVILEGED_INTENTS,
    TIMED_OUT_PERMISSIONS,
    VOICE_PERMISSIONS,
    ApplicationFlag,
    ChannelType,
    GatewayIntent,
    InteractionCallbackType,
    InteractionType,
    MessageFlag,
    MessageType,
    OverwriteType,
    Permission,
)

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload


MENTION_KINDS = ("everyone", "roles", "users")
"""What ``allowed_mentions`` may ``parse``."""


@dataclass(frozen=True)
class AllowedMentions:
    """Who a message may ping (its ``allowed_mentions``): the kinds parsed from the content
    (``parse``) and the users and roles listed by id."""

    parse: frozenset[str]
    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()

    def allows_user(self, user_id: int) -> bool:
        """Whether a ``<@id>`` of this user in the content pings them."""
        return "users" in self.parse or user_id in self.users

    def allows_role(self, role_id: int) -> bool:
        """Whether a ``<@&id>`` of this role in the content pings it."""
        return "roles" in self.parse or role_id in self.roles


EVERY_MENTION = AllowedMentions(parse=frozenset(MENTION_KINDS))
"""What a member's or a bot's channel message without ``allowed_mentions`` may ping: everything
its content mentions."""
USER_MENTIONS = AllowedMentions(parse=frozenset({"users"}))
"""What an interaction response, a followup or a webhook message without ``allowed_mentions``
may ping: only the users its content mentions (discord-api-docs PR #7629)."""


@dataclass(eq=False)
class User:
    """A Discord account: a person, or the bot user of an application."""

    id: int
    username: str
    global_name: str | None
    bot: bool = False
    accepts_dms: bool = True
    avatar: str | None = None
    """The avatar's hash; None for Discord's default avatar."""

    @property
    def display_name(self) -> str:
        """The name Discord shows for the account."""
        return self.global_name or self.username


@dataclass(eq=False)
class ApplicationCommand:
    """A slash command or context menu as an application registered it."""

    id: int
    application_id: int
    guild_id: int | None
    name: str
    type: int
    description: str
    options: list[dict[str, Any]]
    default_member_permissions: str | None
    contexts: list[int]
    integration_types: list[int]
    nsfw: bool
    name_localizations: dict[str, str] | None
    description_localizations: dict[str, str] | None
    version: int


@dataclass(eq=False)
class Application:
    """A bot application: its token, its bot user, its owner and its registered commands."""

    id: int
    name: str
    token: str
    bot_user: User
    owner: User
    description: str = ""
    allowed_privileged_intents: GatewayIntent = PRIVILEGED_INTENTS
    max_concurrency: int = 1
    """Shards (of distinct ``shard_id % max_concurrency`` buckets) that may identify in the same
    5 s: 1 for most bots, 16 and more for Discord's "large bot sharding"."""
    max_guilds_per_shard: int = 2500
    """Guilds one session may hold; a session that would hold more is closed with 4011."""
    holds_ready: bool = False
    """The gateway takes its IDENTIFY but never sends READY: a bot that never gets ready."""
    global_commands: dict[int, ApplicationCommand] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, ApplicationCommand]] = field(default_factory=dict)

    @property
    def flags(self) -> int:
        """The application flags matching the privileged intents the app is allowed."""
        flags = ApplicationFlag.APPLICATION_COMMAND_BADGE
        if self.allowed_privileged_intents & GatewayIntent.GUILD_PRESENCES:
            flags |= ApplicationFlag.GATEWAY_PRESENCE
        if self.allowed_privileged_intents & GatewayIntent.GUILD_MEMBERS:
            flags |= ApplicationFlag.GATEWAY_GUILD_MEMBERS
        if self.allowed_privileged_intents & GatewayIntent.MESSAGE_CONTENT:
            flags |= ApplicationFlag.GATEWAY_MESSAGE_CONTENT
        return int(flags)


@dataclass(eq=False)
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None
    """Set on the role Discord manages for a bot when it joins the guild."""


@dataclass(eq=False)
class Member:
    """A user's membership in a guild."""

    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: datetime.datetime
    nick: str | None = None
    communication_disabled_until: datetime.datetime | None = None
    """The end of the member's timeout, if one was ever set (it may lie in the past)."""
    mute: bool = False
    """Server-muted in voice by a moderator."""
    deaf: bool = False
    """Server-deafened in voice by a moderator."""

    def timed_out(self, now: datetime.datetime | None = None) -> bool:
        """Whether the member is in a timeout right now."""
        until = self.communication_disabled_until
        return until is not None and until > (now or datetime.datetime.now(datetime.UTC))


@dataclass(eq=False)
class PermissionOverwrite:
    """A channel's explicit allow and deny bits for one role or one member."""

    id: int
    type: OverwriteType
    allow: int = 0
    deny: int = 0


@dataclass(eq=False)
class VoiceState:
    """Where a member is connected in voice, and how."""

    user_id: int
    channel_id: int
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False


@dataclass(eq=False)
class Ban:
    """A user banned from a guild, with the reason the moderator gave."""

    user: User
    reason: str | None = None


@dataclass(eq=False)
class Channel:
    """A guild channel (text, voice, category) or a DM channel."""

    id: int
    type: ChannelType
    name: str
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    bitrate: int = 64000
    user_limit: int = 0
    last_message_id: int | None = None
    recipient_ids: tuple[int, ...] = ()
    """The two users of a DM channel."""
    overwrites: dict[int, PermissionOverwrite] = field(default_factory=dict)
    """Permission overwrites by role or member id (guild channels only)."""


@dataclass(eq=False)
class Guild:
    """A guild with its roles, members and channels."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    locale: str = "en-US"
    bans: dict[int, Ban] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    """Who is connected to which voice channel, by user id."""
    verification_level: int = 0
    """0 none to 4 highest: what members must have before they may talk."""

    @property
    def everyone_role(self) -> Role:
        """The @everyone role, whose id is the guild's id."""
        return self.roles[self.id]

    def member_roles(self, member: Member) -> list[Role]:
        """The member's roles, @everyone excluded, highest position first."""
        roles = [self.roles[role_id] for role_id in member.role_ids if role_id in self.roles]
        return sorted(roles, key=lambda role: (role.position, role.id), reverse=True)

    def permissions_of(self, user_id: int) -> int:
        """A member's guild-wide permissions: owner and administrators hold everything."""
        member = self.members.get(user_id)
        if member is None:
            return 0
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        permissions = self.everyone_role.permissions
        for role in self.member_roles(member):
            permissions |= role.permissions
        if permissions & Permission.ADMINISTRATOR:
            return ALL_PERMISSIONS
        if member.timed_out():
            permissions &= int(TIMED_OUT_PERMISSIONS)
        return permissions

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """A member's permissions in one of the guild's channels, as Discord computes them.

        Owner and administrators hold everything. Otherwise the channel's overwrites apply in
        Discord's order (@everyone, then all the member's roles together, then the member),
        a timeout leaves only reading, and losing VIEW_CHANNEL, SEND_MESSAGES or CONNECT
        implicitly takes away what depends on it.
        """
        permissions = self.permissions_of(user_id)
        if permissions == ALL_PERMISSIONS:
            return permissions
        member = self.members.get(user_id)
        if member is None:
            return 0
        everyone = channel.overwrites.get(self.id)
        if everyone is not None:
            permissions = (permissions & ~everyone.deny) | everyone.allow
        role_allow = role_deny = 0
        for role_id in member.role_ids:
            overwrite = channel.overwrites.get(role_id)
            if overwrite is not None and overwrite.type is OverwriteType.ROLE:
                role_allow |= overwrite.allow
                role_deny |= overwrite.deny
        permissions = (permissions & ~role_deny) | role_allow
        own = channel.overwrites.get(user_id)
        if own is not None and own.type is OverwriteType.MEMBER:
            permissions = (permissions & ~own.deny) | own.allow
        if member.timed_out():
            permissions &= int(TIMED_OUT_PERMISSIONS)
        if not permissions & Permission.VIEW_CHANNEL:
            return 0
        if channel.type is ChannelType.GUILD_TEXT and not permissions & Permission.SEND_MESSAGES:
            permissions &= ~int(NEEDS_SEND_MESSAGES)
        if channel.type is ChannelType.GUILD_VOICE and not permissions & Permission.CONNECT:
            permissions &= ~int(VOICE_PERMISSIONS)
        return permissions

    def outranks(self, actor_id: int, target_id: int) -> bool:
        """Whether ``actor_id`` may act on ``target_id`` under Discord's role hierarchy.

        The owner outranks everyone; nobody outranks the owner; otherwise the actor's highest
        role must sit strictly above the target's.
        """
        if actor_id == self.owner_id:
            return actor_id != target_id
        if target_id == self.owner_id:
            return False
        return self.top_role_position(actor_id) > self.top_role_position(target_id)

    def top_role_position(self, user_id: int) -> int:
        """The position of the member's highest role (0 for @everyone only)."""
        member = self.members.get(user_id)
        if member is None:
            return -1
        roles = self.member_roles(member)
        return roles[0].position if roles else 0


@dataclass(eq=False)
class Attachment:
    """A file uploaded with a message, served back by the sandbox at ``url``."""

    id: int
    filename: str
    content_type: str
    data: bytes
    url: str
    description: str | None = None

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.data)


@dataclass(eq=False)
class Reaction:
    """One emoji's reactions on a message."""

    emoji_name: str
    emoji_id: int | None
    user_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class PollAnswer:
    """One answer of a poll and who chose it, in the order they voted."""

    answer_id: int
    text: str
    emoji: dict[str, Any] | None = None
    voter_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Poll:
    """A native Discord poll attached to a message; it is never edited, only voted on and ended."""

    question: str
    answers: list[PollAnswer]
    allow_multiselect: bool
    layout_type: int
    expiry: datetime.datetime
    finalized: bool = False

    def answer(self, answer_id: int) -> PollAnswer | None:
        """The answer with this id (ids count from 1 in the order the bot sent them)."""
        return next((answer for answer in self.answers if answer.answer_id == answer_id), None)

    def votes_of(self, user_id: int) -> list[int]:
        """The ids of the answers ``user_id`` chose."""
        return [answer.answer_id for answer in self.answers if user_id in answer.voter_ids]

    @property
    def total_votes(self) -> int:
        """Every vote cast (a multiselect voter counts once per answer)."""
        return sum(len(answer.voter_ids) for answer in self.answers)

    def winner(self) -> PollAnswer | None:
        """The answer with the most votes; ``None`` without votes or on a tie, as Discord says."""
        ranked = sorted(self.answers, key=lambda answer: len(answer.voter_ids), reverse=True)
        if not ranked or not ranked[0].voter_ids:
            return None
        if len(ranked) > 1 and len(ranked[1].voter_ids) == len(ranked[0].voter_ids):
            return None
        return ranked[0]


@dataclass(eq=False)
class Message:
    """A message as the sandbox stores it, with its whole edit history count."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str
    created_at: datetime.datetime
    type: MessageType = MessageType.DEFAULT
    embeds: list[EmbedPayload] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    nonce: str | int | None = None
    edited_at: datetime.datetime | None = None
    edit_count: int = 0
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    """The interaction this message answers (its original response or a followup)."""
    referenced_message_id: int | None = None
    mention_user_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    allowed_mentions: AllowedMentions | None = None
    """What the author let the content ping (the ``allowed_mentions`` of the request that last
    set the content); ``None``: the default (``mentions.default_allowed_mentions``). Mentions
    it leaves out show as mentions but ping nobody, and Discord lists only the pinged ones in
    ``mentions``, ``mention_roles`` and ``mention_everyone``."""
    notified_user_ids: list[int] = field(default_factory=list)
    """The users the message notified when it was sent. An edit notifies nobody (not even the
    edit that fills a deferred "thinking" answer), so this never changes afterwards, while
    ``mention_user_ids`` follows the content."""
    notified_role_ids: list[int] = field(default_factory=list)
    """The roles the message notified when it was sent (see ``notified_user_ids``)."""
    notified_everyone: bool = False
    """Whether the message notified ``@everyone``/``@here`` when it was sent."""
    reactions: list[Reaction] = field(default_factory=list)
    poll: Poll | None = None
    pinned: bool = False
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        """Whether only the member who ran the interaction can see the message."""
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether the message is a deferred "is thinking..." placeholder."""
        return bool(self.flags & MessageFlag.LOADING)

    def iter_components(self) -> list[dict[str, Any]]:
        """Every component of the message, nested ones included, in reading order."""
        found: list[dict[str, Any]] = []
        pending = list(self.components)
        while pending:
            component = pending.pop(0)
            found.append(component)
            children = [
                child
                for key in ("components", "accessory", "component")
                for child in _as_component_list(component.get(key))
            ]
            pending[0:0] = children
        return found

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The interactive component with this ``custom_id``, if the message has it."""
        for component in self.iter_components():
            if component.get("custom_id") == custom_id:
                return component
        return None

    @property
    def custom_ids(self) -> list[str]:
        """The custom ids of all interactive components, in reading order."""
        return [
            str(component["custom_id"])
            for component in self.iter_components()
            if "custom_id" in component
        ]

    def describe(self) -> str:
        """A one-line summary for failure messages and transcripts."""
        parts = [f"{self.author.display_name}: {self.content!r}"]
        if self.embeds:
            titles = ", ".join(repr(embed.get("title", "")) for embed in self.embeds)
            parts.append(f"embeds [{titles}]")
        if self.custom_ids:
            parts.append(f"components {self.custom_ids}")
        if self.attachments:
            parts.append(f"files {[attachment.filename for attachment in self.attachments]}")
        if self.poll is not None:
            state = "ended" if self.poll.finalized else "open"
            parts.append(f"poll {self.poll.question!r} ({state})")
        if self.ephemeral:
            parts.append("(ephemeral)")
        if self.loading:
            parts.append("(thinking...)")
        if self.deleted:
            parts.append("(deleted)")
        return " ".join(parts)


def _as_component_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


@dataclass(eq=False)
class Interaction:
    """An interaction a member started, and every answer its application gave."""

    id: int
    token: str
    application: Application
    type: InteractionType
    user: User
    channel: Channel
    guild_id: int | None
    data: dict[str, Any]
    created_monotonic: float
    locale: str = "en-US"
    command_name: str | None = None
    """The full name of the command that was run, for the message's interaction metadata."""
    command_type: int | None = None
    source_message_id: int | None = None
    """The message whose component was used (component interactions and their modals)."""
    triggering_interaction_id: int | None = None
    """For a modal submit: the interaction whose answer opened the modal."""
    response_type: InteractionCallbackType | None = None
    original_message_id: int | None = None
    followup_message_ids: list[int] = field(default_factory=list)
    """The new messages followups posted (a first followup that filled a deferral is not one)."""
    followup_results: list[int] = field(default_factory=list)
    """The message each followup request produced, in order: right after a deferral, the
    original answer it filled; otherwise a new message, also in ``followup_message_ids``."""
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    """The suggestions the bot answered an autocomplete interaction with."""

    @property
    def acknowledged(self) -> bool:
        """Whether the application has given its first answer."""
        return self.response_type is not None
