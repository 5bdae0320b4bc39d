"""Reactions on messages and the gateway events they cause."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import (
    JSONErrorCode,
    missing_access,
    missing_permissions,
    unknown,
)
from botfleet.sandbox.flags import GatewayIntent, Permission
from botfleet.sandbox.models import Application, Guild, Message, Reaction, User
from botfleet.sandbox.resources.messages import MessagesState
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    json_response,
    no_content,
    parse_emoji,
    path_snowflake,
    query_int,
)
from botfleet.sandbox.resources.world import Renderer

if TYPE_CHECKING:
    from discord.types.gateway import MessageReactionAddEvent as ReactionAddPayload
    from discord.types.gateway import MessageReactionRemoveAllEvent as ReactionRemoveAllPayload
    from discord.types.gateway import (
        MessageReactionRemoveEmojiEvent as ReactionRemoveEmojiPayload,
    )
    from discord.types.gateway import MessageReactionRemoveEvent as ReactionRemovePayload


def reaction_add_payload(
    message: Message, user: User, emoji_name: str, emoji_id: int | None, *, guild: Guild | None
) -> ReactionAddPayload:
    """MESSAGE_REACTION_ADD: a guild's carries the reacting member and the message's author."""
    payload: ReactionAddPayload = {
        "user_id": payloads.snowflake(user.id),
        "channel_id": payloads.snowflake(message.channel_id),
        "message_id": payloads.snowflake(message.id),
        "emoji": payloads.emoji_payload(emoji_name, emoji_id),
        "burst": False,
        "type": 0,
    }
    if guild is not None:
        payload["guild_id"] = payloads.snowflake(guild.id)
        payload["message_author_id"] = payloads.snowflake(message.author.id)
        payload["member"] = payloads.member_with_user_payload(guild.members[user.id])
    return payload


def reaction_remove_payload(
    message: Message, user: User, emoji_name: str, emoji_id: int | None
) -> ReactionRemovePayload:
    """MESSAGE_REACTION_REMOVE."""
    payload: ReactionRemovePayload = {
        "user_id": payloads.snowflake(user.id),
        "channel_id": payloads.snowflake(message.channel_id),
        "message_id": payloads.snowflake(message.id),
        "emoji": payloads.emoji_payload(emoji_name, emoji_id),
        "burst": False,
        "type": 0,
    }
    if message.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(message.guild_id)
    return payload


def reaction_remove_all_payload(message: Message) -> ReactionRemoveAllPayload:
    """MESSAGE_REACTION_REMOVE_ALL."""
    payload: ReactionRemoveAllPayload = {
        "message_id": payloads.snowflake(message.id),
        "channel_id": payloads.snowflake(message.channel_id),
    }
    if message.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(message.guild_id)
    return payload


def reaction_remove_emoji_payload(
    message: Message, emoji_name: str, emoji_id: int | None
) -> ReactionRemoveEmojiPayload:
    """MESSAGE_REACTION_REMOVE_EMOJI."""
    payload: ReactionRemoveEmojiPayload = {
        "emoji": payloads.emoji_payload(emoji_name, emoji_id),
        "message_id": payloads.snowflake(message.id),
        "channel_id": payloads.snowflake(message.channel_id),
    }
    if message.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(message.guild_id)
    return payload


class ReactionsState(MessagesState):
    """Adding, removing and clearing reactions."""

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
            lambda _app, _intents: reaction_add_payload(
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
                    lambda _app, _intents: reaction_remove_payload(
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
            lambda _app, _intents: reaction_remove_all_payload(message),
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
            lambda _app, _intents: reaction_remove_emoji_payload(message, emoji_name, emoji_id),
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


class ReactionRoutes(RouteHelpers):
    """The reactions routes of the HTTP API."""

    _state: ReactionsState

    async def add_own_reaction(self, request: web.Request) -> web.Response:
        """``PUT .../reactions/{emoji}/@me``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        name, emoji_id = parse_emoji(request.match_info["emoji"])
        already = any((r.emoji_name, r.emoji_id) == (name, emoji_id) for r in message.reactions)
        if not already and not self._state.can(channel, app.bot_user.id, Permission.ADD_REACTIONS):
            raise missing_permissions()
        self._state.add_reaction(message, app.bot_user, name, emoji_id)
        return no_content()

    async def remove_own_reaction(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}/@me``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        name, emoji_id = parse_emoji(request.match_info["emoji"])
        self._state.remove_reaction(message, app.bot_user, name, emoji_id)
        return no_content()

    def _moderated_message(self, request: web.Request, app: Application) -> Message:
        """The message of a request that touches others' reactions: needs MANAGE_MESSAGES."""
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if not self._state.can(channel, app.bot_user.id, Permission.MANAGE_MESSAGES):
            raise missing_permissions()
        return message

    async def remove_user_reaction(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}/{user_id}``: remove someone else's reaction."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        name, emoji_id = parse_emoji(request.match_info["emoji"])
        user = self._state.users.get(path_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        self._state.remove_reaction(message, user, name, emoji_id)
        return no_content()

    async def clear_emoji_reactions(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}``: remove every reaction with this emoji."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        name, emoji_id = parse_emoji(request.match_info["emoji"])
        self._state.clear_reaction(message, name, emoji_id)
        return no_content()

    async def clear_all_reactions(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions``: remove every reaction of the message."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        self._state.clear_reactions(message)
        return no_content()

    async def list_reaction_users(self, request: web.Request) -> web.Response:
        """``GET .../reactions/{emoji}``: who reacted, by user id, ``after`` and ``limit``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        message = self._message_in(request, channel)
        name, emoji_id = parse_emoji(request.match_info["emoji"])
        limit = query_int(request, "limit", 25, low=1, high=100)
        after = query_int(request, "after", 0)
        burst = query_int(request, "type", 0, low=0, high=1) == 1
        reaction = next(
            (r for r in message.reactions if (r.emoji_name, r.emoji_id) == (name, emoji_id)), None
        )
        user_ids = [] if reaction is None or burst else sorted(reaction.user_ids)
        users = [self._state.users[user_id] for user_id in user_ids if user_id > after][:limit]
        return json_response([payloads.user_payload(user) for user in users])
