"""Tables of the Music Bot (migration 0019): settings, players to restore, playlists, history.

A player's row exists while the bot plays in a guild; it is rewritten as the queue changes and
its position every few seconds, so a restarted bot rejoins at the same track and moment.
Tracks are stored as JSON (``Track.to_json``), which the bot validates when reading them back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant


class MusicSettings(Base):
    """A guild's player settings, kept when the player leaves."""

    __tablename__ = "music_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    dj_role_id: Mapped[int | None] = mapped_column(BigInteger)
    always_on: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """24/7 mode: the bot stays in voice when alone or idle."""
    autoplay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """When the queue runs out, play something from the guild's listening history."""
    volume: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))
    effect: Mapped[str] = mapped_column(Text, default="none", server_default=text("'none'"))
    loop: Mapped[str] = mapped_column(Text, default="off", server_default=text("'off'"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class MusicPlayerState(Base):
    """A guild's player as it was last saved: where, what, and how far into it."""

    __tablename__ = "music_players"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    voice_channel_id: Mapped[int] = mapped_column(BigInteger)
    text_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    controller_message_id: Mapped[int | None] = mapped_column(BigInteger)
    current: Mapped[dict[str, Any] | None] = mapped_column(json_variant())
    upcoming: Mapped[list[dict[str, Any]]] = mapped_column(json_variant(), default=list)
    history: Mapped[list[dict[str, Any]]] = mapped_column(json_variant(), default=list)
    position: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    """Seconds into the current track."""
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class MusicPlaylist(Base):
    """A saved list of tracks: a member's own (``guild_id`` 0) or a guild's (``owner_id`` 0)."""

    __tablename__ = "music_playlists"
    __table_args__ = (
        Index("uq_music_playlists_scope_name", "guild_id", "owner_id", "name_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    """The name folded for case-insensitive uniqueness."""
    tracks: Mapped[list[dict[str, Any]]] = mapped_column(json_variant(), default=list)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class MusicListen(Base):
    """One track heard in a guild: the listening history behind /music stats and autoplay."""

    __tablename__ = "music_listens"
    __table_args__ = (Index("ix_music_listens_guild_id_played_at", "guild_id", "played_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    identity: Mapped[str] = mapped_column(Text)
    """What makes two plays the same song (the page or the location)."""
    title: Mapped[str] = mapped_column(Text)
    track: Mapped[dict[str, Any]] = mapped_column(json_variant())
    requester_id: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[float] = mapped_column(Float)
    """How long it was heard (a skipped track counts what played)."""
    listeners: Mapped[int] = mapped_column(Integer)
    played_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
