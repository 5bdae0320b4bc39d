"""Leaderboard scores per user, guild, category and period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, partial_index


class LeaderboardEntry(Base):
    """One user's score in one category (xp, commands, wins...) for one period.

    ``guild_id`` is None for the fleet-wide board. ``period`` is daily, weekly, monthly or
    all_time, and ``period_start`` the first day of that period.
    """

    __tablename__ = "leaderboard_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(Text)
    value: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint(
            "user_id",
            "guild_id",
            "category",
            "period",
            "period_start",
            name="uq_leaderboard_entries_entry",
        ),
        # NULLs are distinct in the constraint above, so fleet-wide rows need their own rule.
        partial_index(
            "uq_leaderboard_entries_global_entry",
            "user_id",
            "category",
            "period",
            "period_start",
            unique=True,
            where=guild_id.is_(None),
        ),
        Index("idx_leaderboard_composite", "guild_id", "category", "period", "period_start"),
    )

    def __repr__(self) -> str:
        return (
            f"LeaderboardEntry(user_id={self.user_id!r}, guild_id={self.guild_id!r}, "
            f"category={self.category!r}, period={self.period!r}, value={self.value!r})"
        )
