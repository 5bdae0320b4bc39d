"""Saved playlists: a member's own (kept across servers) and a server's shared ones.

Export writes a small JSON document; import reads one a member attaches and trusts nothing in
it: the size, the number of tracks and every track are checked, library tracks must be files
of this bot's library (never an arbitrary path) and links must pass the same address rules as
links typed in a command. The kind, length and codec a file claims are not kept: ffprobe
measures each track at the address its redirects end at (a yt-dlp page is located again, its
length with it, before it plays), so a track cannot slip past the length limit or make FFmpeg
copy packets that are not Opus. Measuring all the tracks of a file has a deadline
(``measure_deadline``), as checking the entries of a playlist link has.
"""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from botfleet.bots.music.services.probe import ProbeResult, probe
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.database.base import Database
from botfleet.database.models.music import MusicListen, MusicPlaylist
from botfleet.errors import UserError
from botfleet.services.premium import PremiumService
from botfleet.services.premium.perks import Allowance
from botfleet.services.privacy import count_deleted, registry
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

PRIVACY_NAME: Final = "music"
EXPORT_FORMAT: Final = "botfleet-music-playlist"
MAX_NAME_LENGTH = 50
MAX_IMPORT_BYTES = 512 * 1024
MAX_PLAYLIST_TRACKS = 500
PROBES_AT_ONCE = 4

LinkCheck = Callable[[str], Awaitable[None]]
"""Raises a :class:`UserError` when a link may not be played."""
Prober = Callable[[str], Awaitable[ProbeResult]]
LinkFollower = Callable[[str], Awaitable[str]]
"""Where a link's redirects end, each hop checked (:meth:`HttpSources.final_location`)."""


@dataclass(frozen=True, slots=True)
class PlaylistScope:
    """Whose playlists: a member's (``guild_id`` 0) or a server's (``owner_id`` 0)."""

    guild_id: int
    owner_id: int

    @classmethod
    def member(cls, member_id: int) -> PlaylistScope:
        """A member's own playlists, the same in every server."""
        return cls(guild_id=0, owner_id=member_id)

    @classmethod
    def server(cls, guild_id: int) -> PlaylistScope:
        """The playlists a server shares."""
        return cls(guild_id=guild_id, owner_id=0)

    @property
    def label(self) -> str:
        """How the answers name the scope."""
        return "your" if self.guild_id == 0 else "this server's"


@dataclass(frozen=True, slots=True)
class Playlist:
    """A stored playlist."""

    id: int
    name: str
    tracks: tuple[Track, ...]
    created_by: int


def clean_name(name: str) -> tuple[str, str]:
    """The name as shown and its key (folded), refusing empty or overlong names."""
    shown = " ".join(name.split())
    if not shown:
        raise UserError("Give the playlist a name.")
    if len(shown) > MAX_NAME_LENGTH:
        raise UserError(f"Playlist names are at most {MAX_NAME_LENGTH} characters.")
    return shown, unicodedata.normalize("NFKC", shown).casefold()


def export_playlist(playlist: Playlist) -> bytes:
    """The file a member downloads."""
    document = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "name": playlist.name,
        "tracks": [{**track.to_json(), "requester_id": 0} for track in playlist.tracks],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def parse_export(data: bytes, *, max_tracks: int = MAX_PLAYLIST_TRACKS) -> tuple[str, list[Track]]:
    """The name and tracks of an attached file, or why it cannot be read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise UserError(f"That file is larger than {MAX_IMPORT_BYTES // 1024} KiB.")
    try:
        document: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError("That file is not a playlist exported by this bot (not JSON).") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise UserError("That file is not a playlist exported by this bot.")
    tracks = document.get("tracks")
    if not isinstance(tracks, list) or not tracks:
        raise UserError("That playlist has no tracks.")
    if len(tracks) > max_tracks:
        raise UserError(f"That playlist has {len(tracks)} tracks; the limit is {max_tracks}.")
    name = document.get("name")
    shown, _ = clean_name(name if isinstance(name, str) else "")
    return shown, [Track.from_json(entry) for entry in tracks]


async def _commit_named(
    session: AsyncSession, shown: str, remedy: str = "choose another name"
) -> None:
    """Commit a playlist under a name; the unique index refuses a name in use."""
    try:
        await session.commit()
    except IntegrityError:
        raise UserError(f"A playlist “{shown}” exists already; {remedy}.") from None


def _playlist(row: MusicPlaylist) -> Playlist:
    return Playlist(
        id=row.id,
        name=row.name,
        tracks=tuple(Track.from_json(entry) for entry in row.tracks),
        created_by=row.created_by,
    )


class PlaylistStore:
    """Save, load, rename, delete, share, import and export playlists."""

    def __init__(
        self,
        database: Database,
        *,
        max_playlists: Allowance,
        library_locations: Callable[[], set[str]],
        check_link: LinkCheck,
        premium: PremiumService | None = None,
        prober: Prober = probe,
        follow_link: LinkFollower | None = None,
        measure_deadline: float = 300.0,
    ) -> None:
        self.database = database
        self.max_playlists = max_playlists
        """Playlists one scope may keep, more where premium covers the member saving."""
        self.premium = premium
        self.library_locations = library_locations
        self.check_link = check_link
        self.prober = prober
        self.follow_link = follow_link
        """None: links cannot be measured safely, so a file holding one is refused."""
        self.measure_deadline = measure_deadline
        """Seconds all the tracks of one imported file have to be measured."""

    async def names(self, scope: PlaylistScope) -> list[str]:
        """The scope's playlist names, alphabetically."""
        async with self.database.session() as session:
            rows = await session.scalars(
                select(MusicPlaylist.name)
                .where(MusicPlaylist.guild_id == scope.guild_id)
                .where(MusicPlaylist.owner_id == scope.owner_id)
                .order_by(MusicPlaylist.name_key)
            )
            return list(rows)

    async def _row(self, session: AsyncSession, scope: PlaylistScope, name: str) -> MusicPlaylist:
        shown, key = clean_name(name)
        row = await session.scalar(
            select(MusicPlaylist)
            .where(MusicPlaylist.guild_id == scope.guild_id)
            .where(MusicPlaylist.owner_id == scope.owner_id)
            .where(MusicPlaylist.name_key == key)
        )
        if row is None:
            raise UserError(f"There is no playlist “{shown}” in {scope.label} playlists.")
        return row

    async def get(self, scope: PlaylistScope, name: str) -> Playlist:
        """One playlist by name."""
        async with self.database.session() as session:
            return _playlist(await self._row(session, scope, name))

    async def save(
        self,
        scope: PlaylistScope,
        name: str,
        tracks: Sequence[Track],
        *,
        created_by: int,
        clash_remedy: str = "choose another name",
    ) -> Playlist:
        """Save tracks under a new name (a name in use is refused, never overwritten)."""
        shown, key = clean_name(name)
        if not tracks:
            raise UserError("There is nothing to save: the queue is empty.")
        if len(tracks) > MAX_PLAYLIST_TRACKS:
            raise UserError(f"A playlist holds at most {MAX_PLAYLIST_TRACKS} tracks.")
        premium = self.premium is not None and await self.premium.covers(
            created_by, scope.guild_id or None
        )
        most = self.max_playlists.limit(premium)
        async with self.database.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(MusicPlaylist)
                .where(MusicPlaylist.guild_id == scope.guild_id)
                .where(MusicPlaylist.owner_id == scope.owner_id)
            )
            if (count or 0) >= most:
                raise UserError(
                    f"{scope.label.capitalize()} playlists are full "
                    f"({plural(most, 'playlist')}); delete one first."
                    + self.max_playlists.upsell(premium, "playlist")
                )
            row = MusicPlaylist(
                guild_id=scope.guild_id,
                owner_id=scope.owner_id,
                name=shown,
                name_key=key,
                tracks=[{**track.to_json(), "requester_id": 0} for track in tracks],
                created_by=created_by,
            )
            session.add(row)
            await _commit_named(session, shown, clash_remedy)
            return _playlist(row)

    async def share(
        self, member_id: int, guild_id: int, name: str, *, as_name: str | None = None
    ) -> Playlist:
        """Copy one of a member's playlists into a server's, recording the member as its author.

        The copy is the server's from then on: renaming or deleting the member's own leaves it
        as it was. A name the server uses already is refused, never overwritten.
        """
        own = await self.get(PlaylistScope.member(member_id), name)
        return await self.save(
            PlaylistScope.server(guild_id),
            as_name or own.name,
            own.tracks,
            created_by=member_id,
            clash_remedy="give the server's copy another name with as_name",
        )

    async def rename(self, scope: PlaylistScope, name: str, new_name: str) -> str:
        """Rename a playlist; returns the new name as shown."""
        shown, key = clean_name(new_name)
        async with self.database.session() as session:
            row = await self._row(session, scope, name)
            row.name, row.name_key, row.updated_at = shown, key, func.now()
            await _commit_named(session, shown)
        return shown

    async def delete(self, scope: PlaylistScope, name: str) -> str:
        """Delete a playlist; returns its name."""
        async with self.database.session() as session:
            row = await self._row(session, scope, name)
            await session.delete(row)
            await session.commit()
            return row.name

    async def import_file(
        self, scope: PlaylistScope, data: bytes, *, created_by: int, name: str | None = None
    ) -> Playlist:
        """Save a playlist from an exported file, after checking every track."""
        file_name, tracks = parse_export(data)
        library = self.library_locations()
        for track in tracks:
            if track.kind is SourceKind.FILE:
                if track.location not in library:
                    raise UserError(
                        f"“{track.title}” is not in this bot's library; the playlist was not saved."
                    )
            else:
                # FFmpeg opens the location itself (yt-dlp only re-resolves web pages): a page
                # link alone must not carry an address the link rules would refuse.
                if track.page_url is not None:
                    await self.check_link(track.page_url)
                if track.kind is not SourceKind.WEB or track.page_url is None:
                    await self.check_link(track.location)
        measured = await self._measure_all(tracks)
        return await self.save(scope, name or file_name, measured, created_by=created_by)

    async def _measure_all(self, tracks: list[Track]) -> list[Track]:
        """Every track as ffprobe finds it, a few probes at a time, all within the deadline;
        one unreadable refuses all."""
        slots = asyncio.Semaphore(PROBES_AT_ONCE)

        async def measured(track: Track) -> Track:
            async with slots:
                return await self._measure(track)

        try:
            async with asyncio.timeout(self.measure_deadline), asyncio.TaskGroup() as group:
                tasks = [group.create_task(measured(track)) for track in tracks]
        except TimeoutError:
            done = sum(task.done() for task in tasks)
            log.info(
                "playlist import: %d of %d tracks measured within %.0f s",
                done,
                len(tracks),
                self.measure_deadline,
            )
            raise UserError(
                f"Checking the {plural(len(tracks), 'track')} of that playlist would take longer "
                f"than {self.measure_deadline:.0f} s (their servers are slow); it was not saved. "
                "Try again later, or import a shorter playlist."
            ) from None
        except ExceptionGroup as failure:
            refusal = next((e for e in failure.exceptions if isinstance(e, UserError)), None)
            if refusal is None:
                raise
            raise refusal from None
        return [task.result() for task in tasks]

    async def _measure(self, track: Track) -> Track:
        """The track with the kind, length and codec of its audio rather than the file's word.

        The length decides the track-length limit (a live stream has none) and the codec
        whether FFmpeg copies the packets untouched, so neither is taken from the file.
        """
        if track.kind is SourceKind.WEB:
            # yt-dlp locates the page again before it plays, its length and codec with it.
            return replace(track, codec=None)
        location = track.location
        try:
            if track.kind is not SourceKind.FILE:
                location = await self._follow(location)
            info = await self.prober(location)
        except UserError as error:
            raise UserError(
                f"“{track.title}” cannot be played: {error} The playlist was not saved."
            ) from None
        kind = track.kind
        if kind is SourceKind.STREAM and info.duration is not None:
            kind = SourceKind.HTTP
        return replace(
            track, location=location, kind=kind, duration=info.duration, codec=info.codec
        )

    async def _follow(self, link: str) -> str:
        """The address ffprobe may open for ``link``: the end of its checked redirects."""
        if self.follow_link is None:
            log.error("playlist import: no link follower configured; links are refused")
            raise UserError("links of imported playlists cannot be checked by this bot.")
        return await self.follow_link(link)


async def delete_user_data(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's own playlists; their name leaves server ones
    and the listening history."""
    removed = await count_deleted(
        session,
        delete(MusicPlaylist).where(MusicPlaylist.guild_id == 0, MusicPlaylist.owner_id == user_id),
        MusicPlaylist.id,
    )
    return (
        removed
        + await _forget_member(session, MusicPlaylist.created_by, user_id, MusicPlaylist.id)
        + await _forget_member(session, MusicListen.requester_id, user_id, MusicListen.id)
    )


async def _forget_member(
    session: AsyncSession,
    column: InstrumentedAttribute[int],
    user_id: int,
    key: InstrumentedAttribute[int],
) -> int:
    """Replace the member's id by 0 in ``column``; returns the rows changed."""
    result = await session.execute(
        update(column.class_)
        .where(column == user_id)
        .values({column.key: 0})
        .returning(key)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


registry.register(PRIVACY_NAME, delete_user_data)
