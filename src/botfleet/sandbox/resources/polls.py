"""Votes on polls (a poll's timer and result message are in ``messages``)."""

from __future__ import annotations

from collections.abc import Sequence

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import JSONErrorCode, unknown
from botfleet.sandbox.models import (
    GatewayIntent,
    Message,
    Poll,
    User,
)
from botfleet.sandbox.resources.reactions import ReactionsState


def _open_poll(message: Message) -> Poll:
    """The message's poll, if members may still vote on it."""
    if message.deleted or message.poll is None:
        raise ValueError(f"there is no poll to vote on in {message.describe()}")
    if message.poll.finalized:
        raise ValueError(f"the poll {message.poll.question!r} has ended")
    return message.poll


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
            lambda _app, _intents: payloads.poll_vote_payload(message, user, answer_id),
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
