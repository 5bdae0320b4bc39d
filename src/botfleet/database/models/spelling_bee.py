"""Tables of the Spelling Bee Bot's puzzle (migrations 0005 and 0014): channels, finds, records.

A guild plays one shared puzzle a day; every word its members find is a row keyed by the guild,
the day and the word, so two members sending the same word at once make one find, not two. The
guild's score of a day and each member's all-time record are counters, raised by atomic upserts
as words are found.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, Text, func, text
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
    """``HH:MM`` (in ``timezone``) when the day's puzzle is posted in the channel; None: no post."""
    daily_key: Mapped[str | None] = mapped_column(Text)
    """Names the current daily-post timer; a timer with another key is stale."""
    timezone: Mapped[str | None] = mapped_column(Text)
    """The IANA zone ``daily_time`` is read in; None for UTC."""


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


class SpellingBeeDay(Base):
    """A guild's score on a day's puzzle; its row lock puts the day's finds in one order."""

    __tablename__ = "spelling_bee_days"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    puzzle_day: Mapped[str] = mapped_column(Text, primary_key=True)
    score: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class SpellingBeePuzzleStats(Base):
    """One member's all-time puzzle record in one guild."""

    __tablename__ = "spelling_bee_puzzle_stats"
    __table_args__ = (
        Index("ix_spelling_bee_puzzle_stats_ranking", "guild_id", "points"),
        Index("ix_spelling_bee_puzzle_stats_user_id", "user_id"),
    )

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    days_played: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    words_found: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    pangrams: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_day: Mapped[str] = mapped_column(Text)
    """The newest puzzle day (``YYYY-MM-DD``) the member found a word on."""
    day_points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The member's points on ``last_day``."""
    best_day: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The most points the member found on one day."""
    current_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Consecutive days played up to ``last_day``."""
    best_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    genius_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Days the member played on which the guild reached Genius."""
    queen_bee_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Days the member played on which the guild found every word."""
    last_played_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
