"""Tables of the Utility Bot (migration 0007): members' time zones and their reminders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class UserSettings(Base):
    """A member's personal preferences that every bot may read (the time zone, for now)."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(Text)
    """An IANA zone name (``Europe/Paris``); None means UTC."""
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class Reminder(Base):
    """A pending reminder. The row is the truth; the scheduler's timer only wakes the bot.

    Delivery claims the row by its ``due_at`` (a compare-and-swap), so a reminder woken twice
    (a duplicate timer after a crash) is still delivered once. A one-off reminder's row is
    deleted when delivered; a recurring one moves ``due_at`` to its next occurrence.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_user_id", "user_id"),
        Index("ix_reminders_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    """None for a reminder set in a direct message."""
    channel_id: Mapped[int] = mapped_column(BigInteger)
    """Where it was set, and where it is delivered unless ``direct_message``."""
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The bot's answer when it was set: the target of the jump link."""
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(Text)
    """The zone a recurring reminder keeps its wall-clock time in across DST changes."""
    recurrence: Mapped[str | None] = mapped_column(Text)
    """``daily`` or ``weekly``; None for a one-off reminder."""
    direct_message: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    timer_id: Mapped[int | None] = mapped_column(Integer)
    """The scheduler timer that wakes the bot for it; a missing timer is re-made at start."""
