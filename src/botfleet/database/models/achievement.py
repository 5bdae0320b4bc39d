"""Achievement definitions and the achievements each user has unlocked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from botfleet.database.base import Base, UTCDateTime


class Achievement(Base):
    """An achievement anyone can unlock; ``rarity`` is common, rare, epic or legendary."""

    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    rarity: Mapped[str | None] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    icon_url: Mapped[str | None] = mapped_column(Text)

    # Never loaded implicitly; orders flushes and leaves deletion to ON DELETE CASCADE.
    unlocks: Mapped[list[UserAchievement]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    def __repr__(self) -> str:
        return f"Achievement(id={self.id!r}, name={self.name!r})"


class UserAchievement(Base):
    """One user's unlock of (or progress towards, in percent) one achievement."""

    __tablename__ = "user_achievements"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    unlocked_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    progress: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))

    def __repr__(self) -> str:
        return (
            f"UserAchievement(user_id={self.user_id!r}, achievement_id={self.achievement_id!r}, "
            f"progress={self.progress!r})"
        )
