"""Tables of the Spelling Bee Bot (migration 0005): each guild's puzzle channel and finds.

A guild plays one shared puzzle a day; every word its members find is a row keyed by the guild,
the day and the word, so two members sending the same word at once make one find, not two.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class SpellingBeeChannel(Base):
    """The channel where a guild plays (one-word messages there are guesses), and its daily post."""

    __tablename__ = "spelling_bee_channels"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    daily_time: Mapped[str | None] = mapped_column(Text)
    """``HH:MM`` (UTC) when the day's puzzle is posted in the channel; None for no post."""
    daily_key: Mapped[str | None] = mapped_column(Text)
    """Names the current daily-post timer; a timer with another key is stale."""


class SpellingBeeFind(Base):
    """One word of a day's puzzle found in a guild, and who found it."""

    __tablename__ = "spelling_bee_finds"
    __table_args__ = (Index("ix_spelling_bee_finds_user_id", "user_id"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    puzzle_day: Mapped[str] = mapped_column(Text, primary_key=True)
    """The puzzle's seed: the UTC day, ``YYYY-MM-DD``."""
    word: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    """None once the finder asked for their data to be deleted; the guild keeps the word."""
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
