"""Per-bot activity of each user: a command counter plus the bot's own statistics as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Text, text
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant


class UserBotStats(Base):
    """What one user did with one bot; ``stats`` holds the bot's own counters (wins, streaks).

    ``stats`` tracks in-place changes (``row.stats["wins"] += 1`` is saved on commit).
    """

    __tablename__ = "user_bot_stats"
    __table_args__ = (Index("idx_user_stats_last_active", "last_active"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bot_name: Mapped[str] = mapped_column(Text, primary_key=True)
    command_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_active: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stats: Mapped[dict[str, Any] | None] = mapped_column(
        MutableDict.as_mutable(json_variant()), default=dict
    )

    def __repr__(self) -> str:
        return f"UserBotStats(user_id={self.user_id!r}, bot_name={self.bot_name!r})"
