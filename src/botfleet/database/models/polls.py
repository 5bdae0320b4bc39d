"""Tables of the Utility Bot's button polls (migration 0009): the polls and members' ballots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant


class Poll(Base):
    """A button poll. The row is the truth; the scheduler's timer only wakes the bot to close it.

    Closing sets ``closed_at`` with a compare-and-swap (``WHERE closed_at IS NULL``), so a poll
    woken twice, or ended by a moderator while its timer fires, is closed and announced once.
    """

    __tablename__ = "polls"
    __table_args__ = (
        Index("ix_polls_guild_id", "guild_id"),
        Index("ix_polls_creator_id", "creator_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The poll's message with the vote buttons; None until it is posted."""
    creator_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    answers: Mapped[list[str]] = mapped_column(json_variant())
    """2 to 10 answers; a ballot names them by their position (bit ``1 << index``)."""
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_change: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    multiple_choice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was closed (by its timer or ``/poll end``); None while members may vote."""
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Bumped by every vote and by the close, in the same statement that checks the poll is
    open: it locks the row, so a vote and the close never interleave."""
    timer_id: Mapped[int | None] = mapped_column(Integer)
    """The scheduler timer that closes it; a missing timer is re-made at start."""


class PollVote(Base):
    """One member's ballot in one poll: a bitmask of the answers they chose.

    One row per member and poll (the primary key), written with an atomic upsert, so two
    presses at once never count a member twice nor lose a press. A ballot of 0 is a vote taken
    back.
    """

    __tablename__ = "poll_votes"
    __table_args__ = (Index("ix_poll_votes_user_id", "user_id"),)

    poll_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    choices: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )
