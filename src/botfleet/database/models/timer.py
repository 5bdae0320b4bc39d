"""Persistent timers: events a bot process dispatches once when they expire.

Rows are written and claimed by :mod:`botfleet.services.scheduler`. A row is deleted at the
moment a process claims it, so a row in this table always means "still pending".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, JSONVariant, UTCDateTime


class Timer(Base):
    """One pending timer: fire ``event`` with ``payload`` at ``expires_at``.

    ``bot_name`` picks the kind of bot process that fires it (``"mod"`` for a temp-ban); None
    lets any bot process with a running scheduler fire it.
    """

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONVariant)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    bot_name: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"Timer(id={self.id!r}, event={self.event!r}, expires_at={self.expires_at!r}, "
            f"bot_name={self.bot_name!r})"
        )
