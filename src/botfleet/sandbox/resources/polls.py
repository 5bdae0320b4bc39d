"""Votes on polls (a poll's timer and result message are in ``messages``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    JSONErrorCode,
    missing_access,
    unknown,
)
from botfleet.sandbox.flags import GatewayIntent, Permission
from botfleet.sandbox.models import Message, Poll, User
from botfleet.sandbox.resources.reactions import ReactionsState
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    json_response,
    query_int,
)

if TYPE_CHECKING:
    from discord.types.gateway import PollVoteActionEvent as PollVotePayload


def _open_poll(message: Message) -> Poll:
    """The message's poll, if members may still vote on it."""
    if message.deleted or message.poll is None:
        raise ValueError(f"there is no poll to vote on in {message.describe()}")
    if message.poll.finalized:
        raise ValueError(f"the poll {message.poll.question!r} has ended")
    return message.poll


def poll_vote_payload(message: Message, user: User, answer_id: int) -> PollVotePayload:
    """MESSAGE_POLL_VOTE_ADD and MESSAGE_POLL_VOTE_REMOVE."""
    payload: PollVotePayload = {
        "user_id": payloads.snowflake(user.id),
        "channel_id": payloads.snowflake(message.channel_id),
        "message_id": payloads.snowflake(message.id),
        "answer_id": answer_id,
    }
    if message.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(message.guild_id)
    return payload


class PollsState(ReactionsState):
    """Members' votes and who voted for what."""

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
            lambda _app, _intents: poll_vote_payload(message, user, answer_id),
            intent=intent,
            guild_id=channel.guild_id,
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


class PollRoutes(RouteHelpers):
    """The polls routes of the HTTP API."""

    _state: PollsState

    async def expire_poll(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/polls/{id}/expire``: end the bot's own poll now.

        Answers with the message, its results final; Discord posts the POLL_RESULT message.
        """
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if message.poll is None:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.CANNOT_EXPIRE_NON_POLL_MESSAGE,
                "Cannot expire a non-poll message",
            )
        if message.author.id != app.bot_user.id:
            raise DiscordHTTPError(
                403,
                JSONErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                "Cannot edit a message authored by another user",
            )
        self._state.end_poll(message)
        return json_response(self._message_payload(message, app))

    async def list_poll_voters(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/polls/{id}/answers/{id}``: ``{"users": [...]}`` by user id,
        paged with ``after`` and ``limit`` (1 to 100, 25 by default)."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        message = self._message_in(request, channel)
        raw_answer = request.match_info["answer_id"]
        if not raw_answer.isdigit():
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        limit = query_int(request, "limit", 25, low=1, high=100)
        after = query_int(request, "after", 0)
        voters = self._state.poll_voters(message, int(raw_answer), after=after, limit=limit)
        return json_response({"users": [payloads.user_payload(user) for user in voters]})
