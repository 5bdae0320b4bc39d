"""Tables of the Grammar Bot (migration 0008): auto-check channels and members' daily stats.

A member's stats are one row per guild and UTC day, changed only by single-statement
increments, so two messages checked at once never lose a count. Day rows let ``/grammar stats``
compare this week with the last without keeping any checked text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, Text, func, text
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
