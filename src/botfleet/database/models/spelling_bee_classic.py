"""Tables of the Spelling Bee Bot's classic mode (migration 0012): each member's record.

Games themselves are short and live in the bot's memory; what outlives them is a member's
record per server, added to at the end of every game they played.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class SpellingBeeClassicStats(Base):
    """A member's classic spelling bee record in one server."""

    __tablename__ = "spelling_bee_classic_stats"
    __table_args__ = (Index("ix_spelling_bee_classic_stats_user_id", "user_id"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    games_played: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    games_won: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Solo games with every round played, elimination games still standing at the end."""
    words_spelled: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    words_missed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    best_run: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The most words spelled right in a row within one game."""
    last_played: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
