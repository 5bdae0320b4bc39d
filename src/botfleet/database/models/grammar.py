"""Tables of the Grammar Bot: auto-check channels and members' daily stats (migration 0008),
the daily tip and quiz, and members' quiz answers (migration 0015).

A member's stats are one row per guild and UTC day, changed only by single-statement
increments, so two messages checked at once never lose a count. Day rows let ``/grammar stats``
compare this week with the last without keeping any checked text.

A guild's daily post is one schedule row, the truth the scheduler's timer only wakes the bot
for; each post is a row (one per guild and local day), and each answer a row whose primary key
(post, member) lets one answer per member in, whatever the races.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime

DIRECT_MESSAGE_GUILD_ID = 0
"""The ``guild_id`` of checks made outside a guild (a primary key cannot hold NULL)."""


class GrammarChannel(Base):
    """A channel where the bot checks members' messages, and how strictly."""

    __tablename__ = "grammar_channels"
    __table_args__ = (Index("ix_grammar_channels_guild_id", "guild_id"),)

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    strictness: Mapped[str] = mapped_column(Text)
    """A :class:`~botfleet.bots.grammar.services.issues.Strictness` value."""
    enabled_by: Mapped[int | None] = mapped_column(BigInteger)
    """The admin who enabled it; None once they asked for their data to be deleted."""
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"GrammarChannel(channel_id={self.channel_id!r}, guild_id={self.guild_id!r}, "
            f"strictness={self.strictness!r})"
        )


class GrammarDailyStats(Base):
    """What one member's checks found in one guild on one UTC day."""

    __tablename__ = "grammar_daily_stats"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checks: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    clean_checks: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Checks that found nothing to point out."""
    spelling_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    grammar_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    punctuation_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    capitalization_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    word_choice_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    style_issues: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return (
            f"GrammarDailyStats(user_id={self.user_id!r}, guild_id={self.guild_id!r}, "
            f"day={self.day!r}, checks={self.checks!r})"
        )


class GrammarDailySchedule(Base):
    """When and where a guild gets its daily tip and quiz question."""

    __tablename__ = "grammar_daily_schedules"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    post_time: Mapped[str] = mapped_column(Text)
    """The wall-clock time of the post in ``timezone``, as ``HH:MM``."""
    timezone: Mapped[str] = mapped_column(Text)
    """An IANA zone name (``Europe/Paris``); ``UTC`` unless the admin chose one."""
    next_post_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The next post's instant; the claim compares and swaps it, so a post happens once."""
    timer_id: Mapped[int | None] = mapped_column(Integer)
    """The scheduler timer that wakes the bot for it; None or gone means it must be re-made."""
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    """The admin who set it; None once they asked for their data to be deleted."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"GrammarDailySchedule(guild_id={self.guild_id!r}, channel_id={self.channel_id!r}, "
            f"post_time={self.post_time!r}, timezone={self.timezone!r})"
        )


class GrammarQuizPost(Base):
    """One daily post: the tip and the question a guild got on one of its local days."""

    __tablename__ = "grammar_quiz_posts"
    __table_args__ = (
        UniqueConstraint("guild_id", "day", name="uq_grammar_quiz_posts_guild_id_day"),
        # Never reuse the id of a post: its answer buttons carry it in their custom_id.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    """The guild's local day the post belongs to."""
    tip_id: Mapped[str] = mapped_column(Text)
    question_id: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"GrammarQuizPost(id={self.id!r}, guild_id={self.guild_id!r}, day={self.day!r}, "
            f"question_id={self.question_id!r})"
        )


class GrammarQuizAnswer(Base):
    """A member's one answer to a daily question."""

    __tablename__ = "grammar_quiz_answers"
    __table_args__ = (Index("ix_grammar_quiz_answers_user_id_guild_id", "user_id", "guild_id"),)

    post_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("grammar_quiz_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    """The post's day, kept here so a member's streak is read from their own rows."""
    choice: Mapped[int] = mapped_column(Integer)
    """The index of the chosen answer."""
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"GrammarQuizAnswer(post_id={self.post_id!r}, user_id={self.user_id!r}, "
            f"correct={self.correct!r})"
        )
