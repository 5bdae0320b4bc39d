"""Discord users, shared by every bot: profile, cross-bot XP and level, premium, OAuth tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, Index, Integer, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from botfleet.database.base import Base, UTCDateTime

if TYPE_CHECKING:
    from botfleet.database.models.achievement import UserAchievement
    from botfleet.database.models.leaderboard import LeaderboardEntry
    from botfleet.database.models.stats import UserBotStats


class User(Base):
    """One Discord user, keyed by the Discord user id."""

    __tablename__ = "users"
    __table_args__ = (Index("idx_users_level", "level"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(Text)
    discriminator: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    total_xp: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    level: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    is_premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    premium_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    premium_tier: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The collections are never loaded implicitly (that would be blocking I/O in async code):
    # they exist so a flush inserts a user before their rows, and so deleting a user leaves
    # the cascade to the database's ON DELETE CASCADE.
    bot_stats: Mapped[list[UserBotStats]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    achievements: Mapped[list[UserAchievement]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    leaderboard_entries: Mapped[list[LeaderboardEntry]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, level={self.level!r})"
