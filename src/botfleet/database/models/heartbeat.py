"""Heartbeats (migration 0007): every bot process says it is alive, so /fleet status can tell.

The table is shared by all bot processes on one database, which is what lets the Utility Bot see
that the Music Bot, another process, went quiet. One row per process instance; the row is
updated in place, so the table stays as small as the fleet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class BotHeartbeat(Base):
    """The last sign of life of one bot process."""

    __tablename__ = "bot_heartbeats"

    bot_name: Mapped[str] = mapped_column(Text, primary_key=True)
    instance: Mapped[str] = mapped_column(Text, primary_key=True)
    """``host:pid`` of the process, so two processes of one bot (shard clusters) keep two rows."""
    version: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    interval_seconds: Mapped[float] = mapped_column(Float)
    """How often this process beats, so a reader knows when it is late whatever its own setting."""
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    """Gateway latency at the last beat; None before discord.py measured one."""
    guild_count: Mapped[int] = mapped_column(Integer)
    shard_count: Mapped[int] = mapped_column(Integer)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by a clean shutdown, so a stopped bot shows as stopped at once, not after a timeout."""
