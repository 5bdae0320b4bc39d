"""What a scripted member is and does without a channel handle: edits, reactions, votes.

``SandboxMember`` builds on ``MemberActs`` (through ``MemberComponents``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from botfleet.sandbox.errors import DiscordHTTPError
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.models import Channel, Guild, Member, Message, Role, User
from botfleet.sandbox.scripting.waits import (
    SandboxScriptError,
    ScriptedSandbox,
)
from botfleet.sandbox.validation import MessageDraft, Upload, parse_message


def as_member_draft(
    body: dict[str, Any], uploads: Sequence[Upload], *, editing: bool
) -> MessageDraft:
    """Validate a member's message as Discord's client would before sending it."""
    try:
        return parse_message(body, uploads, editing=editing)
    except DiscordHTTPError as error:
        raise SandboxScriptError(f"Discord would refuse this message: {error.body()}") from error


class MemberActs:
    """A user of the sandbox acting in one guild (or in DMs only, with no guild)."""

    def __init__(self, sandbox: ScriptedSandbox, user: User, guild: Guild | None) -> None:
        self.sandbox = sandbox
        self.user = user
        self.guild = guild

    @property
    def id(self) -> int:
        """The user's id."""
        return self.user.id

    @property
    def name(self) -> str:
        """The user's username."""
        return self.user.username

    @property
    def mention(self) -> str:
        """How a message mentions the member."""
        return f"<@{self.user.id}>"

    @property
    def roles(self) -> list[Role]:
        """The member's roles in its guild, highest first."""
        if self.guild is None:
            return []
        return self.guild.member_roles(self.guild.members[self.user.id])

    def __repr__(self) -> str:
        return f"<SandboxMember {self.user.username} id={self.user.id}>"

    @property
    def nick(self) -> str | None:
        """The member's nickname in its guild."""
        return self._member().nick if self.guild is not None else None

    @property
    def timed_out(self) -> bool:
        """Whether the member is in a timeout right now."""
        return self.guild is not None and self._member().timed_out()

    def can_see(self, message: Message) -> bool:
        """Whether Discord shows this member the message (DMs, ephemeral answers, channels)."""
        return self.sandbox.state.can_see(self.user, message)

    def _member(self) -> Member:
        if self.guild is None or self.user.id not in self.guild.members:
            raise SandboxScriptError(f"{self.user.username} is not a member of a guild")
        return self.guild.members[self.user.id]

    def _check_can(self, channel: Channel, permission: Permission, action: str) -> None:
        if not self.sandbox.state.can(channel, self.user.id, permission):
            guild = self.sandbox.state.guild_of(channel)
            member = guild.members.get(self.user.id) if guild is not None else None
            reason = (
                " (timed out)"
                if member is not None and member.timed_out()
                else f": missing {permission.name}"
            )
            raise SandboxScriptError(
                f"{self.user.username} cannot {action} in {channel.name or 'this DM'}{reason}"
            )

    async def edit(self, message: Message, content: str) -> Message:
        """Edit one of this member's messages (bots get MESSAGE_UPDATE)."""
        if message.author.id != self.user.id:
            raise SandboxScriptError(f"{self.user.username} can only edit their own messages")
        draft = as_member_draft({"content": content}, [], editing=True)
        self.sandbox.state.edit_message(message, draft)
        await asyncio.sleep(0)
        return message

    async def delete(self, message: Message) -> None:
        """Delete a message: one's own, or any with MANAGE_MESSAGES (bots get MESSAGE_DELETE)."""
        channel = self.sandbox.state.channels[message.channel_id]
        if message.author.id != self.user.id:
            self._check_can(channel, Permission.MANAGE_MESSAGES, "delete others' messages")
        self.sandbox.state.delete_message(message)
        await asyncio.sleep(0)

    async def react(self, message: Message, emoji: str) -> None:
        """Add a reaction (a unicode emoji, or ``name:id`` for a custom one)."""
        channel = self.sandbox.state.channels[message.channel_id]
        self._check_can(channel, Permission.ADD_REACTIONS, "add reactions")
        name, _, raw_id = emoji.partition(":")
        self.sandbox.state.add_reaction(message, self.user, name, int(raw_id) if raw_id else None)
        await asyncio.sleep(0)

    async def unreact(self, message: Message, emoji: str) -> None:
        """Take back one's reaction (bots get MESSAGE_REACTION_REMOVE)."""
        name, _, raw_id = emoji.partition(":")
        self.sandbox.state.remove_reaction(
            message, self.user, name, int(raw_id) if raw_id else None
        )
        await asyncio.sleep(0)

    async def vote(self, message: Message, answer_ids: Sequence[int]) -> None:
        """Vote on a poll, as Discord's client does: one answer, or several if the poll allows
        them; once, until the vote is removed (bots get MESSAGE_POLL_VOTE_ADD per answer)."""
        if not self.can_see(message):
            raise SandboxScriptError(f"{self.user.username} cannot see {message.describe()}")
        try:
            self.sandbox.state.vote(message, self.user, answer_ids)
        except ValueError as error:
            raise SandboxScriptError(f"{self.user.username} cannot vote: {error}") from error
        await asyncio.sleep(0)

    async def unvote(self, message: Message) -> None:
        """Remove one's vote from a poll (bots get MESSAGE_POLL_VOTE_REMOVE per answer)."""
        try:
            self.sandbox.state.remove_votes(message, self.user)
        except ValueError as error:
            raise SandboxScriptError(
                f"{self.user.username} cannot remove a vote: {error}"
            ) from error
        await asyncio.sleep(0)

    async def leave_voice(self) -> None:
        """Disconnect from voice (VOICE_STATE_UPDATE without a channel)."""
        if self.guild is not None:
            self.sandbox.state.set_voice_state(self.guild, self.user, None)
        await asyncio.sleep(0)
