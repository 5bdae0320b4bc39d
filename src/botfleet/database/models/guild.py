"""Discord guilds (servers) and their per-guild configuration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class Guild(Base):
    """One Discord guild, keyed by the Discord guild id."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    prefix: Mapped[str] = mapped_column(Text, default="!", server_default="!")
    locale: Mapped[str] = mapped_column(Text, default="en-US", server_default="en-US")

    is_premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    premium_tier: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return f"Guild(id={self.id!r}, name={self.name!r})"
