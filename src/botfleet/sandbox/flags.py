"""Discord's numbered kinds and bit flags, and the permission sets Discord applies.

Channel, message and interaction types, message flags, gateway intents and permissions: the
numbers ``models`` carry and ``payloads`` send.
"""

from __future__ import annotations

import datetime
from enum import IntEnum, IntFlag


class ChannelType(IntEnum):
    """Discord's channel types the sandbox models."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4


class MessageType(IntEnum):
    """Discord's message types the sandbox produces."""

    DEFAULT = 0
    REPLY = 19
    CHAT_INPUT_COMMAND = 20
    CONTEXT_MENU_COMMAND = 23
    AUTO_MODERATION_ACTION = 24
    POLL_RESULT = 46


class MessageFlag(IntFlag):
    """Discord's message flags the sandbox understands."""

    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


SENDABLE_MESSAGE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS | MessageFlag.SUPPRESS_NOTIFICATIONS | MessageFlag.IS_COMPONENTS_V2
)
"""Flags a bot may set when it creates a message; Discord ignores the others."""


EDITABLE_MESSAGE_FLAGS = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2
"""Flags an edit may set; IS_COMPONENTS_V2 can be added but never taken away again."""


class InteractionType(IntEnum):
    """Discord's interaction types the sandbox creates."""

    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class InteractionCallbackType(IntEnum):
    """The answers a bot may give to an interaction."""

    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class OverwriteType(IntEnum):
    """Whom a channel permission overwrite applies to."""

    ROLE = 0
    MEMBER = 1


class GatewayIntent(IntFlag):
    """Gateway intents: which events a bot asked for when it identified."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16
    AUTO_MODERATION_CONFIGURATION = 1 << 20
    AUTO_MODERATION_EXECUTION = 1 << 21
    GUILD_MESSAGE_POLLS = 1 << 24
    DIRECT_MESSAGE_POLLS = 1 << 25


PRIVILEGED_INTENTS = (
    GatewayIntent.GUILD_MEMBERS | GatewayIntent.GUILD_PRESENCES | GatewayIntent.MESSAGE_CONTENT
)


ALL_INTENTS = GatewayIntent(sum(intent.value for intent in GatewayIntent))
"""Every intent bit Discord defines; an IDENTIFY asking for another bit is refused (4013)."""


class ApplicationFlag(IntFlag):
    """Application flags that tell discord.py which privileged intents the app may use."""

    GATEWAY_PRESENCE = 1 << 12
    GATEWAY_GUILD_MEMBERS = 1 << 14
    GATEWAY_MESSAGE_CONTENT = 1 << 18
    APPLICATION_COMMAND_BADGE = 1 << 23


class Permission(IntFlag):
    """Discord permission bits the sandbox checks or grants by default."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    SEND_POLLS = 1 << 49


ALL_PERMISSIONS = (1 << 53) - 1
"""What an administrator or the guild owner holds: every bit Discord may define."""


TIMED_OUT_PERMISSIONS = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
"""All a timed-out member keeps: they may read, nothing more."""


NEEDS_SEND_MESSAGES = (
    Permission.SEND_TTS_MESSAGES
    | Permission.MENTION_EVERYONE
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
)
"""Text permissions Discord implicitly denies to whoever cannot send messages in the channel."""


VOICE_PERMISSIONS = (
    Permission.CONNECT
    | Permission.SPEAK
    | Permission.MUTE_MEMBERS
    | Permission.DEAFEN_MEMBERS
    | Permission.MOVE_MEMBERS
    | Permission.USE_VAD
    | Permission.PRIORITY_SPEAKER
    | Permission.STREAM
    | Permission.REQUEST_TO_SPEAK
    | Permission.USE_EMBEDDED_ACTIVITIES
)
"""Voice permissions Discord implicitly denies to whoever cannot connect to the channel."""


MAX_TIMEOUT = datetime.timedelta(days=28)
"""The longest timeout Discord accepts."""


DM_PERMISSIONS = (
    Permission.ADD_REACTIONS
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.SEND_POLLS
)
"""What anyone may do in a DM channel."""


DEFAULT_EVERYONE_PERMISSIONS = (
    DM_PERMISSIONS
    | Permission.CREATE_INSTANT_INVITE
    | Permission.STREAM
    | Permission.CONNECT
    | Permission.SPEAK
    | Permission.USE_VAD
    | Permission.CHANGE_NICKNAME
    | Permission.REQUEST_TO_SPEAK
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.CREATE_PRIVATE_THREADS
    | Permission.USE_EXTERNAL_STICKERS
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.USE_EMBEDDED_ACTIVITIES
)
"""The @everyone permissions of a new Discord guild: what anyone may do in a DM, and more."""
