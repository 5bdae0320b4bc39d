"""The operator's local music folder: scanned once off the event loop, searched by words.

Tags are read with mutagen (title, artist, album, genre, length, codec); a file without tags
is found by its name. Members never give paths: they search, and only scanned files play.
mutagen is imported by the scan: a bot without a library folder never loads it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from botfleet.bots.music.services.tracks import SourceKind, Track

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset(
    {".mp3", ".ogg", ".opus", ".oga", ".flac", ".m4a", ".aac", ".wav", ".wma", ".webm", ".mka"}
)
_CODECS = {"OggOpus": "opus", "OggVorbis": "vorbis", "FLAC": "flac", "MP3": "mp3", "MP4": "aac"}


_WORD: Final = re.compile(r"\w+")
"""A word of a query; punctuation (the "—" of "Artist — Title") finds nothing by itself."""


def _fold(text: str) -> str:
    """Lower case without accents, so "beyonce" finds "Beyoncé"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One file of the library and the words it is found by."""

    track: Track
    words: str
    """Title, artist, album, genre and file name, folded for matching."""


def read_entry(path: Path) -> LibraryEntry | None:
    """The entry for one file; None when mutagen cannot read it as audio."""
    import mutagen  # noqa: PLC0415  (see the module's docstring)

    try:
        audio = mutagen.File(path, easy=True)
    except (mutagen.MutagenError, OSError) as error:
        log.warning("The music library skips %s: %s", path, error)
        return None
    if audio is None:
        return None
    tags = audio.tags or {}

    def tag(name: str) -> str | None:
        values = tags.get(name) if hasattr(tags, "get") else None
        return str(values[0]).strip() or None if values else None

    title = tag("title") or path.stem
    artist = tag("artist")
    length = getattr(audio.info, "length", None)
    track = Track(
        title=title,
        location=str(path),
        kind=SourceKind.FILE,
        duration=float(length) if length else None,
        artist=artist,
        codec=_CODECS.get(type(audio).__name__),
    )
    words = " ".join(filter(None, (title, artist, tag("album"), tag("genre"), path.stem)))
    return LibraryEntry(track=track, words=_fold(words))


def _audio_files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root, followlinks=False):
        for name in sorted(names):
            path = Path(folder, name)
            if path.suffix.lower() in AUDIO_SUFFIXES:
                yield path


def scan_folder(root: Path) -> list[LibraryEntry]:
    """Every readable audio file under ``root`` (blocking: run it in a thread)."""
    entries = [entry for path in _audio_files(root) if (entry := read_entry(path))]
    log.info("The music library holds %d tracks from %s", len(entries), root)
    return entries


class LocalLibrary:
    """Search of a scanned folder; empty until :meth:`scan` ran."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.entries: list[LibraryEntry] = []

    async def scan(self) -> int:
        """(Re)scan the folder in a worker thread; returns the number of tracks."""
        if self.root is None:
            return 0
        self.entries = await asyncio.to_thread(scan_folder, self.root)
        return len(self.entries)

    def search(self, query: str, *, limit: int = 10) -> list[Track]:
        """Tracks whose words contain every word of the query; title matches first."""
        words = _WORD.findall(_fold(query))
        if not words:
            return []
        found = [entry for entry in self.entries if all(word in entry.words for word in words)]
        found.sort(
            key=lambda entry: (
                not _fold(entry.track.title).startswith(words[0]),
                entry.track.display_title,
            )
        )
        return [entry.track for entry in found[:limit]]
