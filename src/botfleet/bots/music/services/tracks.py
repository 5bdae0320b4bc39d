"""A track: what a member queued, where its audio comes from, and who asked for it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, Self

from botfleet.errors import UserError


class SourceKind(StrEnum):
    """Where a track's audio is read from, which decides how FFmpeg opens it."""

    FILE = "file"
    """A file of the operator's local library."""
    HTTP = "http"
    """A file served over HTTP(S): it has an end and can be seeked."""
    STREAM = "stream"
    """A live stream (a radio): no length, no seeking, FFmpeg reconnects when it drops."""
    WEB = "web"
    """A page of a site yt-dlp supports; resolved to a media URL just before playing."""


@dataclass(frozen=True, slots=True)
class Track:
    """One entry of a queue; immutable, so the history and the queue may share it."""

    title: str
    location: str
    """A path of the library, or the URL FFmpeg opens."""
    kind: SourceKind
    duration: float | None = None
    """Seconds, or None when unknown (a stream, a server that did not say)."""
    artist: str | None = None
    requester_id: int = 0
    page_url: str | None = None
    """The page a member gave, when the audio URL was resolved from it."""
    codec: str | None = None
    """The audio codec when known (``opus`` lets FFmpeg copy the packets untouched)."""

    @property
    def is_seekable(self) -> bool:
        """Live streams have no position to jump to."""
        return self.kind is not SourceKind.STREAM

    @property
    def display_title(self) -> str:
        """ "Artist — Title" when the artist is known."""
        return f"{self.artist} — {self.title}" if self.artist else self.title

    @property
    def identity(self) -> str:
        """What makes two entries the same song, for removing duplicates."""
        return self.page_url or self.location

    def requested_by(self, member_id: int) -> Track:
        """The same track queued by someone else."""
        return replace(self, requester_id=member_id)

    def to_json(self) -> dict[str, Any]:
        """The stored and exported form."""
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Read a stored or imported track, refusing anything malformed."""
        if not isinstance(data, dict):
            raise UserError("A track must be an object with a title and a location.")
        title, location = data.get("title"), data.get("location")
        if not isinstance(title, str) or not title.strip():
            raise UserError("A track has no title.")
        if not isinstance(location, str) or not location.strip():
            raise UserError(f"The track {title!r} has no location.")
        try:
            kind = SourceKind(str(data.get("kind")))
        except ValueError:
            raise UserError(f"The track {title!r} has an unknown kind.") from None
        duration = data.get("duration")
        if duration is not None and (
            not isinstance(duration, int | float) or isinstance(duration, bool) or duration < 0
        ):
            raise UserError(f"The track {title!r} has an invalid length.")
        texts = {name: data.get(name) for name in ("artist", "page_url", "codec")}
        if any(value is not None and not isinstance(value, str) for value in texts.values()):
            raise UserError(f"The track {title!r} has an invalid artist, page or codec.")
        requester = data.get("requester_id", 0)
        if not isinstance(requester, int) or isinstance(requester, bool):
            raise UserError(f"The track {title!r} has an invalid requester.")
        return cls(
            title=title.strip(),
            location=location.strip(),
            kind=kind,
            duration=float(duration) if duration is not None else None,
            artist=texts["artist"],
            requester_id=requester,
            page_url=texts["page_url"],
            codec=texts["codec"],
        )


def format_clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``, as players show positions."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_bar(position: float, duration: float | None, width: int = 18) -> str:
    """``1:05 ▬▬▬🔘▬▬▬▬ 3:20``; a live stream shows only how long it has played."""
    if not duration:
        return f"🔴 LIVE · {format_clock(position)}"
    done = min(width - 1, int(width * max(0.0, min(position, duration)) / duration))
    bar = "▬" * done + "🔘" + "▬" * (width - 1 - done)
    return f"{format_clock(position)} {bar} {format_clock(duration)}"
