"""What the web dashboard stores of its own: each guild's choices about its public pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, false, func
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class DashboardGuildSettings(Base):
    """A guild's dashboard choices (migration 0020); no row: nothing is public."""

    __tablename__ = "dashboard_guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_leaderboard: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )
