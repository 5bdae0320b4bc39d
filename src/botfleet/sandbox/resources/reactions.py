"""Reactions on messages and the gateway events they cause."""

from __future__ import annotations

from botfleet.sandbox import payloads
from botfleet.sandbox.models import (
    GatewayIntent,
    Message,
    Reaction,
    User,
)
from botfleet.sandbox.resources.messages import MessagesState
from botfleet.sandbox.resources.world import Renderer


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
