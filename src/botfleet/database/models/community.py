"""Tables of the Utility Bot's community tools (migration 0010): tags, welcome and goodbye.

A tag is a guild's text snippet, called by name; names are unique per guild whatever their case
("Rules" and "rules" are one tag), which ``name_key`` (the casefolded name) enforces in the
database, so two members creating the same name at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, Text, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, JSONVariant, UTCDateTime


class Tag(Base):
    """One text snippet of a guild, owned by the member who made it."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("guild_id", "name_key", name="uq_tags_guild_id_name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text)
    """As its creator wrote it; shown in lists."""
    name_key: Mapped[str] = mapped_column(Text)
    """The casefolded name: what lookups and uniqueness use."""
    content: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(BigInteger, index=True)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class WelcomeSettings(Base):
    """How a guild greets members who join and notes those who leave."""

    __tablename__ = "welcome_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    welcome_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    """None: no welcome message."""
    welcome_message: Mapped[str | None] = mapped_column(Text)
    """With placeholders {user}, {name}, {server}, {member_count}; None uses the default text."""
    welcome_card: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    goodbye_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    goodbye_message: Mapped[str | None] = mapped_column(Text)
    join_role_ids: Mapped[list[int]] = mapped_column(JSONVariant, default=list)
    join_role_delay: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Seconds after joining before the join roles are given (0: at once)."""
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )
