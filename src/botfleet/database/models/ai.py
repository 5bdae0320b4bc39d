"""Table of the AI service (migration 0006): requests and tokens spent per member and server a day.

A member's row counts what they asked of every bot in every server; a server's row counts what
all its members asked there. Both are changed only by single-statement increments, so processes
sharing the database never lose or double an update.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class AIUsage(Base):
    """What one member (scope ``user``) or one server (scope ``guild``) spent on one UTC day."""

    __tablename__ = "ai_usage"

    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    """``user`` or ``guild``: what ``subject_id`` is the id of."""
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    tokens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
