"""Tables of the Utility Bot's self-assign role menus (migration 0011): the menus and their roles.

A menu is one message in a guild's channel; members pick roles on it with a select menu or
buttons. Only ids of Discord objects are kept (guild, channel, message, roles), never anything
about the members who use it, so the tables hold no personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class RoleMenu(Base):
    """A guild's role menu: how it looks and the limits on what a member may pick."""

    __tablename__ = "role_menus"
    __table_args__ = (Index("ix_role_menus_guild_id", "guild_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The posted menu; None while it is being posted."""
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    style: Mapped[str] = mapped_column(Text)
    """"select" (one select menu) or "buttons" (a button per role)."""
    mode: Mapped[str] = mapped_column(Text)
    """"any" (any number of roles), "at_most" (``max_roles`` at most) or "one" (one-of)."""
    max_roles: Mapped[int | None] = mapped_column(Integer)
    """The limit of the "at_most" mode; None in the other modes."""
    required_role_id: Mapped[int | None] = mapped_column(BigInteger)
    """Members without this role are refused; None lets every member pick."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )
    """Also bumped before an option is added or removed: that write locks the menu's row, so
    two admins editing one menu at once take turns and never pass the option limit together."""


class RoleMenuOption(Base):
    """One role offered by a menu, with how it is shown."""

    __tablename__ = "role_menu_options"
    __table_args__ = (
        UniqueConstraint("menu_id", "role_id", name="uq_role_menu_options_menu_id_role_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    menu_id: Mapped[int] = mapped_column(Integer, ForeignKey("role_menus.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(Text)
    emoji: Mapped[str | None] = mapped_column(Text)
    """A unicode emoji or a custom one as ``<:name:id>``."""
    description: Mapped[str | None] = mapped_column(Text)
    """Shown under the label in the select menu style."""
    position: Mapped[int] = mapped_column(Integer)
    """The option's place on the menu: options are shown in the order they were added."""
