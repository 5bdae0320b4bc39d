"""The Music Bot's rows: guild settings and the players a restart brings back.

A stored track that no longer reads (an older format, a hand-edited row) is logged and left
out rather than stopping the whole restore.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, desc, func, select, update

from botfleet.bots.music.services.ffmpeg import Effect
from botfleet.bots.music.services.queue import LoopMode
from botfleet.bots.music.services.tracks import Track
from botfleet.database.base import Database
from botfleet.database.models.music import MusicListen, MusicPlayerState, MusicSettings
from botfleet.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """How a guild's player behaves."""

    guild_id: int
    volume: int = 100
    effect: Effect = Effect.NONE
    loop: LoopMode = LoopMode.OFF
    dj_role_id: int | None = None
    always_on: bool = False
    autoplay: bool = False


@dataclass(frozen=True, slots=True)
class ListeningStats:
    """A guild's listening history in numbers."""

    plays: int
    hours: float
    top_tracks: tuple[tuple[str, int], ...]
    """(title, plays), most played first."""
    requested_by_member: int


@dataclass(frozen=True, slots=True)
class SavedPlayer:
    """A player as stored: enough to rejoin and resume."""

    guild_id: int
    voice_channel_id: int
    text_channel_id: int | None
    current: Track | None
    upcoming: tuple[Track, ...] = ()
    history: tuple[Track, ...] = ()
    position: float = 0.0
    paused: bool = False
    controller_message_id: int | None = None
    dropped: int = field(default=0, compare=False)
    """Stored tracks that could not be read back."""


def _tracks(rows: Iterable[Any], guild_id: int) -> tuple[list[Track], int]:
    tracks: list[Track] = []
    dropped = 0
    for row in rows:
        try:
            tracks.append(Track.from_json(row))
        except UserError as error:
            dropped += 1
            log.warning("A stored track of guild %s is unreadable: %s", guild_id, error.message)
    return tracks, dropped


class MusicStore:
    """Reads and writes the settings and player rows."""

    def __init__(self, database: Database, *, default_volume: int = 100) -> None:
        self.database = database
        self.default_volume = default_volume

    async def settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings, or the defaults."""
        async with self.database.session() as session:
            row = await session.get(MusicSettings, guild_id)
        if row is None:
            return GuildSettings(guild_id=guild_id, volume=self.default_volume)
        return GuildSettings(
            guild_id=guild_id,
            volume=row.volume,
            effect=Effect(row.effect) if row.effect in set(Effect) else Effect.NONE,
            loop=LoopMode(row.loop) if row.loop in set(LoopMode) else LoopMode.OFF,
            dj_role_id=row.dj_role_id,
            always_on=row.always_on,
            autoplay=row.autoplay,
        )

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some settings; returns them all."""
        settings = replace(await self.settings(guild_id), **changes)
        values = {
            "volume": settings.volume,
            "effect": settings.effect.value,
            "loop": settings.loop.value,
            "dj_role_id": settings.dj_role_id,
            "always_on": settings.always_on,
            "autoplay": settings.autoplay,
        }
        statement = (
            self.database.upsert(MusicSettings)
            .values(guild_id=guild_id, **values)
            .on_conflict_do_update(
                index_elements=["guild_id"], set_={**values, "updated_at": func.now()}
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
        return settings

    async def save_player(self, player: SavedPlayer) -> None:
        """Write the whole player (its queue changed)."""
        values = {
            "voice_channel_id": player.voice_channel_id,
            "text_channel_id": player.text_channel_id,
            "controller_message_id": player.controller_message_id,
            "current": player.current.to_json() if player.current else None,
            "upcoming": [track.to_json() for track in player.upcoming],
            "history": [track.to_json() for track in player.history],
            "position": player.position,
            "paused": player.paused,
        }
        statement = (
            self.database.upsert(MusicPlayerState)
            .values(guild_id=player.guild_id, **values)
            .on_conflict_do_update(
                index_elements=["guild_id"], set_={**values, "updated_at": func.now()}
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def save_position(self, guild_id: int, position: float, *, paused: bool) -> None:
        """Write only how far the current track got (the frequent, cheap update)."""
        statement = (
            update(MusicPlayerState)
            .where(MusicPlayerState.guild_id == guild_id)
            .values(position=position, paused=paused, updated_at=func.now())
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def forget_player(self, guild_id: int) -> None:
        """The player left for good: nothing to restore."""
        async with self.database.session() as session:
            await session.execute(
                delete(MusicPlayerState).where(MusicPlayerState.guild_id == guild_id)
            )
            await session.commit()

    async def saved_players(self) -> list[SavedPlayer]:
        """Every player to restore after a start."""
        async with self.database.session() as session:
            rows = list(await session.scalars(select(MusicPlayerState)))
        players: list[SavedPlayer] = []
        for row in rows:
            current, dropped_current = _tracks([row.current] if row.current else [], row.guild_id)
            upcoming, dropped_upcoming = _tracks(row.upcoming, row.guild_id)
            history, dropped_history = _tracks(row.history, row.guild_id)
            players.append(
                SavedPlayer(
                    guild_id=row.guild_id,
                    voice_channel_id=row.voice_channel_id,
                    text_channel_id=row.text_channel_id,
                    controller_message_id=row.controller_message_id,
                    current=current[0] if current else None,
                    upcoming=tuple(upcoming),
                    history=tuple(history),
                    position=row.position if current else 0.0,
                    paused=row.paused,
                    dropped=dropped_current + dropped_upcoming + dropped_history,
                )
            )
        return players

    async def record_listen(
        self, guild_id: int, track: Track, *, seconds: float, listeners: int
    ) -> None:
        """Add a heard track to the guild's history."""
        async with self.database.session() as session:
            session.add(
                MusicListen(
                    guild_id=guild_id,
                    identity=track.identity,
                    title=track.display_title,
                    track={**track.to_json(), "requester_id": 0},
                    requester_id=track.requester_id,
                    seconds=seconds,
                    listeners=listeners,
                )
            )
            await session.commit()

    async def stats(self, guild_id: int, member_id: int, *, top: int = 5) -> ListeningStats:
        """Plays, hours and the most played tracks of a guild; the member's requests."""
        in_guild = MusicListen.guild_id == guild_id
        async with self.database.session() as session:
            plays, seconds = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(MusicListen.seconds), 0.0)).where(
                        in_guild
                    )
                )
            ).one()
            plays_column = func.count().label("plays")
            rows = await session.execute(
                select(func.max(MusicListen.title), plays_column)
                .where(in_guild)
                .group_by(MusicListen.identity)
                .order_by(desc(plays_column), func.max(MusicListen.title))
                .limit(top)
            )
            mine = await session.scalar(
                select(func.count()).where(in_guild, MusicListen.requester_id == member_id)
            )
        return ListeningStats(
            plays=plays,
            hours=float(seconds) / 3600,
            top_tracks=tuple((title, count) for title, count in rows.all()),
            requested_by_member=mine or 0,
        )

    async def autoplay_track(self, guild_id: int, *, avoid: set[str]) -> Track | None:
        """The guild's most played track not in ``avoid`` (identities), for autoplay."""
        plays_column = func.count().label("plays")
        async with self.database.session() as session:
            rows = await session.execute(
                select(MusicListen.identity, func.max(MusicListen.id), plays_column)
                .where(MusicListen.guild_id == guild_id)
                .group_by(MusicListen.identity)
                .order_by(desc(plays_column), desc(func.max(MusicListen.id)))
                .limit(len(avoid) + 1)
            )
            latest_id = next(
                (listen_id for identity, listen_id, _ in rows.all() if identity not in avoid), None
            )
            if latest_id is None:
                return None
            stored = await session.scalar(
                select(MusicListen.track).where(MusicListen.id == latest_id)
            )
        tracks, _ = _tracks([stored], guild_id)
        return tracks[0] if tracks else None
