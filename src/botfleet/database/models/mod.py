"""Tables of the Mod Bot (migration 0016): cases, warnings, staff notes, bans in force, settings.

A guild's cases are numbered by a counter row of its own, raised in the transaction that
inserts the case: two moderators acting at once wait for each other on that row, so numbers
never repeat and never skip. Cases are the server's legitimate record and survive a member's
data-deletion request (their name and the DM they were sent are replaced by a marker);
warnings and notes are deleted with the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant


class ModCaseCounter(Base):
    """The last case number a guild used."""

    __tablename__ = "mod_case_counters"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ModCase(Base):
    """One entry of a guild's case log: an action a moderator (or the bot) took."""

    __tablename__ = "mod_cases"
    __table_args__ = (Index("ix_mod_cases_guild_id_target_id", "guild_id", "target_id"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(Text)
    target_id: Mapped[int] = mapped_column(BigInteger)
    target_name: Mapped[str] = mapped_column(Text)
    """The target's name when the case was made (they may leave, or be banned, later)."""
    moderator_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a temporary action (timeout, tempban) ends."""
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    modlog_message_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_text: Mapped[str | None] = mapped_column(Text)
    """The direct message the target was sent before the action, if any."""
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amended_by: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return (
            f"ModCase(guild_id={self.guild_id!r}, number={self.number!r}, "
            f"action={self.action!r}, target_id={self.target_id!r})"
        )


class ModWarning(Base):
    """One warning with its points; the points stop counting at ``expires_at``, the row stays."""

    __tablename__ = "mod_warnings"
    __table_args__ = (Index("ix_mod_warnings_guild_id_user_id", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    moderator_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    case_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """None: the points never expire."""


class ModNote(Base):
    """A staff note about a member, seen by moderators only."""

    __tablename__ = "mod_notes"
    __table_args__ = (Index("ix_mod_notes_guild_id_user_id", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class ModBan(Base):
    """The ban in force on a user in a guild, as the bot knows it: the case and its end.

    A later ban replaces the row, so an earlier tempban's unban timer finds another case here
    and leaves the ban alone.
    """

    __tablename__ = "mod_bans"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_number: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """None for a permanent ban."""
    timer_id: Mapped[int | None] = mapped_column(Integer)
    """The scheduler timer that lifts a tempban."""


class ModSettings(Base):
    """A guild's moderation settings: warning presets and thresholds, automod rules."""

    __tablename__ = "mod_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    warnings: Mapped[dict[str, Any]] = mapped_column(json_variant(), default=dict)
    automod: Mapped[dict[str, Any]] = mapped_column(json_variant(), default=dict)
    automod_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Raised by every change of the automod rules: the compiled rules are keyed by it."""
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class ModChannels(Base):
    """A guild's moderation channels (migration 0017): the modlog, and what a lockdown locks."""

    __tablename__ = "mod_channels"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    modlog_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    """Where each case is posted; None: no modlog."""
    lockdown_channel_ids: Mapped[list[int]] = mapped_column(json_variant(), default=list)
    lockdown_id: Mapped[int | None] = mapped_column(BigInteger)
    """The lockdown in force that has an end (its timer carries the id); None: none."""
