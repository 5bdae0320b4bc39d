"""Tables of the Mod Bot's defences (migration 0018): raid mode per guild, and ban appeals.

A raid raises the guild's verification level; the level it had is stored here, so a restart
in the middle of a raid still restores it when the raid ends. An appeal is kept until staff
decide, with the staff message whose buttons decide it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant, partial_index


class ModDefence(Base):
    """A guild's raid settings and raid mode, and where appeals go."""

    __tablename__ = "mod_defence"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    raid: Mapped[dict[str, Any]] = mapped_column(json_variant(), default=dict)
    raid_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When raid mode began; None outside a raid."""
    restore_level: Mapped[int | None] = mapped_column(Integer)
    """The verification level the guild had before raid mode raised it."""
    flagged: Mapped[list[int]] = mapped_column(json_variant(), default=list)
    """Members who joined during the raid or failed a gate: the massban's targets."""
    appeals_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    """The staff channel appeals land in; None: banned members get no appeal button."""


class ModAppeal(Base):
    """A banned member's appeal, until staff accept or deny it."""

    __tablename__ = "mod_appeals"
    __table_args__ = (
        Index("ix_mod_appeals_guild_id_user_id", "guild_id", "user_id"),
        partial_index(  # one open appeal per member and server, whatever submits race
            "uq_mod_appeals_open",
            "guild_id",
            "user_id",
            unique=True,
            where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    case_number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="open")
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The DM that offered the appeal: edited with the decision (a banned member shares no
    server with the bot, so Discord refuses it a new DM)."""
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
