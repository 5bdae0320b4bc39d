"""Who is in the sandbox world and how its changes reach subscribers: the base of every resource.

Every resource's state extends ``WorldState``: it holds the stores (users, applications, guilds,
channels, messages, interactions), sends gateway events to subscribers and wakes waiting tests.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botfleet.sandbox.flags import (
    DM_PERMISSIONS,
    PRIVILEGED_INTENTS,
    ChannelType,
    GatewayIntent,
    Permission,
)
from botfleet.sandbox.models import (
    Application,
    Attachment,
    Channel,
    Guild,
    Interaction,
    Message,
    User,
)
from botfleet.sandbox.snowflakes import SnowflakeGenerator
from botfleet.utils.tasks import wait_at_most

INTERACTION_RESPONSE_DEADLINE = 3.0
"""Seconds Discord gives a bot to give an interaction its first answer."""


INTERACTION_TOKEN_LIFETIME = 15 * 60.0
"""Seconds an interaction token stays valid for followups and edits."""


POLL_HOUR = 3600.0
"""Real seconds one hour of a poll's duration lasts (tests shorten it to see polls expire)."""


Renderer = Callable[[Application, int], Mapping[str, Any]]
"""Builds an event's payload for one receiving application, given the intents it identified with."""


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
        await wait_at_most(self._changed, seconds)


class WorldState:
    """The stores and the event plumbing every resource shares."""

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

    def create_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        created_at: datetime.datetime | None = None,
        avatar: str | None = None,
    ) -> User:
        """Register a new account (made ``created_at``, in the past, when given)."""
        user = User(
            id=self.snowflakes.next() if created_at is None else self.snowflakes.at(created_at),
            username=username,
            global_name=global_name if global_name is not None else (None if bot else username),
            bot=bot,
            avatar=avatar,
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


def now() -> datetime.datetime:
    """The current time in UTC, as Discord stamps it."""
    return datetime.datetime.now(datetime.UTC)
