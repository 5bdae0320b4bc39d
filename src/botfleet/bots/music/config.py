"""The Music Bot's own options: the ``options:`` section of ``config/bots/music.yaml``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from botfleet.bots.music.services.http_sources import HttpLimits
from botfleet.bots.music.services.queue import QueueLimits


class MusicOptions(BaseModel):
    """Sources, limits and timings of the players; every option has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    library_path: Path | None = Field(
        default=None, description="A folder of audio files members can search and play."
    )
    ffmpeg_executable: str = Field(default="ffmpeg", description="The FFmpeg program to run.")
    ffprobe_executable: str = Field(default="ffprobe", description="The ffprobe program to run.")
    max_queue_size: int = Field(default=500, ge=1, le=10_000, description="Tracks one queue holds.")
    member_queue_share: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="The fraction of the queue one member's waiting tracks may fill.",
    )
    max_track_minutes: int | None = Field(
        default=None, ge=1, le=24 * 60, description="Longest track accepted (streams always are)."
    )
    history_size: int = Field(default=50, ge=1, le=1000, description="Played tracks remembered.")
    vote_skip_ratio: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="The share of listeners whose votes skip a track.",
    )
    alone_timeout: int = Field(
        default=120, ge=1, le=86_400, description="Seconds alone in voice before leaving."
    )
    idle_timeout: int = Field(
        default=300, ge=1, le=86_400, description="Seconds with nothing playing before leaving."
    )
    default_volume: int = Field(default=100, ge=0, le=200, description="Volume of a new player.")
    max_file_mb: int = Field(
        default=200, ge=1, le=4096, description="Largest file a link may point to, in MiB."
    )
    max_playlist_entries: int = Field(
        default=50, ge=1, le=1000, description="Entries read from an .m3u/.pls playlist."
    )
    max_saved_playlists: int = Field(
        default=25, ge=1, le=500, description="Playlists one member (or one server) may keep."
    )
    premium_max_saved_playlists: int = Field(
        default=100,
        ge=1,
        le=500,
        description="Playlists a member, or a server, may keep where premium covers the member "
        "saving (their own premium; for a server's, the server's too).",
    )
    web_pages: bool = Field(
        default=True,
        description="Play pages of the sites yt-dlp supports (needs the music-web extra).",
    )
    web_search: str | None = Field(
        default="ytsearch",
        pattern=r"^[a-z0-9]+$",
        description="yt-dlp's search for words the library does not match (none: no search).",
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="Let links reach private and loopback addresses (tests, trusted LANs only).",
    )
    link_timeout: float = Field(
        default=15.0, gt=0.0, le=120.0, description="Seconds a link's server has to answer."
    )
    playlist_timeout: float = Field(
        default=300.0,
        gt=0.0,
        le=600.0,
        description="Seconds all the entries of one .m3u/.pls link have to be checked.",
    )

    @property
    def queue_limits(self) -> QueueLimits:
        """The queue's limits from these options."""
        return QueueLimits(
            max_size=self.max_queue_size,
            member_share=self.member_queue_share,
            max_track_seconds=self.max_track_minutes * 60 if self.max_track_minutes else None,
            history_size=self.history_size,
        )

    @property
    def http_limits(self) -> HttpLimits:
        """What links may be, from these options."""
        return HttpLimits(
            max_file_bytes=self.max_file_mb * 2**20,
            max_playlist_entries=self.max_playlist_entries,
            allow_private_addresses=self.allow_private_addresses,
            timeout=self.link_timeout,
            playlist_deadline=self.playlist_timeout,
        )
