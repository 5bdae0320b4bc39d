"""One guild's player: its queue played on a discord.py voice connection through FFmpeg.

The voice-client class and the audio-source factory come from a :class:`VoiceBackend`, so a
test plays through the stand-in's voice client and a benchmark can count frames. FFmpeg starts
in a worker thread (``Popen`` may block), and the old FFmpeg of a swapped source is stopped
there too. discord.py calls ``after`` from its player thread; the player hops back onto the
event loop before touching any state.

A new track is a new ``play()`` (with a new generation number, so the ``after`` of a stopped
one is ignored); a seek, an effect or a volume change swaps the source of the running
``play()`` in place, which is what discord.py's ``source`` setter is for: no gap, no ``after``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import discord

from botfleet.bots.music.services.control import SkipVote
from botfleet.bots.music.services.ffmpeg import SourcePlan, plan_source
from botfleet.bots.music.services.queue import QueueLimits, TrackQueue
from botfleet.bots.music.services.store import GuildSettings, SavedPlayer
from botfleet.bots.music.services.tracks import Track

log = logging.getLogger(__name__)

EditResult = TypeVar("EditResult")

FRAME_SECONDS = 0.02
"""discord.py reads one 20 ms frame per packet."""

OGG_OPUS_HEADERS = (b"OpusHead", b"OpusTags")
"""The two header packets of an Ogg Opus stream, which discord.py reads like audio packets."""

SourceFactory = Callable[[SourcePlan], discord.AudioSource]


class TrackedSource(discord.AudioSource):
    """Counts the frames read from a source, which is how far the listeners got."""

    def __init__(
        self,
        inner: discord.AudioSource,
        plan: SourcePlan,
        track: Track,
        heard_before: float = 0.0,
        *,
        located: Track | None = None,
    ) -> None:
        self.inner = inner
        self.plan = plan
        self.track = track
        self.located = located or track
        """The track with the media address it plays from (a web page's, as yt-dlp found it)."""
        self.heard_before = heard_before
        """Seconds of the track heard through earlier sources (before a seek or an effect)."""
        self.frames = 0

    def read(self) -> bytes:
        data = self.inner.read()
        if data and not data.startswith(OGG_OPUS_HEADERS):
            self.frames += 1
        return data

    def is_opus(self) -> bool:
        return self.inner.is_opus()

    def cleanup(self) -> None:
        self.inner.cleanup()

    @property
    def _current_error(self) -> Exception | None:
        """FFmpeg's failure, which discord.py's player reads when a source runs dry."""
        error = getattr(self.inner, "_current_error", None)
        return error if isinstance(error, Exception) else None

    @property
    def at_the_end(self) -> bool:
        """Whether it starts within the track's last second (a seek or forward to its end)."""
        duration = self.track.duration
        return duration is not None and self.plan.start >= duration - 1

    @property
    def heard(self) -> float:
        """Seconds of the track the listeners heard, across swapped sources."""
        return self.heard_before + self.frames * FRAME_SECONDS

    @property
    def position(self) -> float:
        """Seconds into the track (effects that change speed move through it faster)."""
        return self.plan.start + self.frames * FRAME_SECONDS * self.plan.rate


class SourceGaveNothingError(Exception):
    """A track ended without a single frame of audio."""

    def __init__(self, location: str) -> None:
        super().__init__(f"FFmpeg gave no audio for {location}")


def ffmpeg_source_factory(executable: str) -> SourceFactory:
    """Sources FFmpeg produces as Opus (copied when the track already is Opus)."""

    def make(plan: SourcePlan) -> discord.AudioSource:
        return discord.FFmpegOpusAudio(
            plan.location,
            codec=plan.codec,
            executable=executable,
            before_options=plan.before_options,
            options=plan.options,
        )

    return make


@dataclass(frozen=True)
class VoiceBackend:
    """How players connect and make sources; tests give the stand-in's voice client."""

    voice_client_class: type[discord.VoiceProtocol] = discord.VoiceClient
    source_factory: SourceFactory | None = None
    """None: FFmpeg with the executable of the bot's options."""


_backend = VoiceBackend()


def current_backend() -> VoiceBackend:
    """The backend players are created with."""
    return _backend


@contextlib.contextmanager
def use_backend(backend: VoiceBackend) -> Iterator[None]:
    """Create players with ``backend`` for the block (tests, benchmarks)."""
    global _backend  # noqa: PLW0603  (the one injection point, set for a block and restored)
    previous, _backend = _backend, backend
    try:
        yield
    finally:
        _backend = previous


@dataclass
class PlayerHooks:
    """What the player tells the cog about: to save it, redraw the controller, or go idle."""

    queue_changed: Callable[[GuildPlayer], Awaitable[None]]
    track_started: Callable[[GuildPlayer], Awaitable[None]]
    queue_ended: Callable[[GuildPlayer], Awaitable[None]]
    track_failed: Callable[[GuildPlayer, Track, Exception], Awaitable[None]]
    track_heard: Callable[[GuildPlayer, Track, float], Awaitable[None]]
    """A track stopped playing (ended, skipped, left) after this many seconds heard."""


@dataclass(eq=False)
class GuildPlayer:
    """The player of one guild."""

    guild_id: int
    settings: GuildSettings
    limits: QueueLimits
    source_factory: SourceFactory
    hooks: PlayerHooks
    vote_ratio: float
    locate: Callable[[Track], Awaitable[Track]] | None = None
    """Finds a fresh media URL for tracks of web pages (yt-dlp), just before they play."""
    voice: discord.VoiceProtocol | None = None
    text_channel_id: int | None = None
    controller_message_id: int | None = None
    queue: TrackQueue = field(init=False)
    skip_vote: SkipVote = field(init=False)
    source: TrackedSource | None = None
    paused: bool = False
    stream_title: str | None = None
    """What a radio says it plays now (its ICY title)."""
    _generation: int = 0
    _restored_position: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.queue = TrackQueue(self.limits)
        self.queue.loop = self.settings.loop
        self.skip_vote = SkipVote(ratio=self.vote_ratio)

    # -- state -------------------------------------------------------------------------------

    @property
    def voice_client(self) -> discord.VoiceClient:
        """The connection, typed as discord.py's client (the stand-in's offers the same)."""
        if self.voice is None:
            raise RuntimeError(f"the player of guild {self.guild_id} is not connected")
        return self.voice  # type: ignore[return-value]

    @property
    def connected(self) -> bool:
        """Whether the voice connection is up."""
        return self.voice is not None and self.voice_client.is_connected()

    @property
    def position(self) -> float:
        """Seconds into the current track."""
        return self.source.position if self.source is not None else self._restored_position

    @property
    def playback_id(self) -> int:
        """Changes with every ``play()``: a repeat of a looping track is a new one to vote on."""
        return self._generation

    @property
    def is_active(self) -> bool:
        """Whether a track is loaded (playing or paused)."""
        return self.queue.current is not None and self.source is not None

    def snapshot(self) -> SavedPlayer:
        """The player as it is stored."""
        channel = getattr(self.voice, "channel", None)
        return SavedPlayer(
            guild_id=self.guild_id,
            voice_channel_id=channel.id if channel is not None else 0,
            text_channel_id=self.text_channel_id,
            current=self.queue.current,
            upcoming=tuple(self.queue.upcoming),
            history=tuple(self.queue.history),
            position=self.position,
            paused=self.paused,
            controller_message_id=self.controller_message_id,
        )

    def restore(self, saved: SavedPlayer) -> None:
        """Take the queue and position of a stored player (before :meth:`resume_saved`)."""
        self.queue.replace_all(saved.current, saved.upcoming, saved.history)
        self.text_channel_id = saved.text_channel_id
        self.controller_message_id = saved.controller_message_id
        self._restored_position = saved.position
        self.paused = saved.paused

    # -- playing -------------------------------------------------------------------------------

    async def _make_source(
        self,
        track: Track,
        start: float,
        heard_before: float = 0.0,
        located: Track | None = None,
    ) -> TrackedSource:
        """A source of ``track`` from ``start``; ``located``: its media address, known already."""
        if located is None:
            located = await self.locate(track) if self.locate is not None else track
            self.queue.check_length(located)
        plan = plan_source(
            located, start=start, volume=self.settings.volume, effect=self.settings.effect
        )
        inner = await asyncio.to_thread(self.source_factory, plan)
        return TrackedSource(inner, plan, track, heard_before, located=located)

    async def _silence(self) -> None:
        """End the running ``play()`` (its ``after`` is ignored) and stop its FFmpeg."""
        self._generation += 1
        old, self.source = self.source, None
        if self.voice is not None and (
            self.voice_client.is_playing() or self.voice_client.is_paused()
        ):
            self.voice_client.stop()
        if old is not None:
            self._restored_position = old.position
            await asyncio.to_thread(old.cleanup)
            await self.hooks.track_heard(self, old.track, old.heard)

    async def _play(self, track: Track, start: float = 0.0) -> None:
        """Start ``track`` as a new ``play()``; a source that cannot start skips to the next."""
        voice = self.voice_client
        await self._silence()
        generation = self._generation
        self._restored_position = start
        self.stream_title = None
        self.skip_vote.reset()
        try:
            source = await self._make_source(track, start)
        except Exception as error:
            log.warning("Guild %s: track %r could not start: %s", self.guild_id, track.title, error)
            await self.hooks.track_failed(self, track, error)
            await self._advance(skip=True)
            return
        self.source = source
        loop = asyncio.get_running_loop()
        voice.play(source, after=partial(self._after_from_thread, loop, generation))
        if self.paused:
            voice.pause()
        await self.hooks.track_started(self)

    def _after_from_thread(
        self, loop: asyncio.AbstractEventLoop, generation: int, error: Exception | None
    ) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self._spawn, self._track_ended(generation, error))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _track_ended(self, generation: int, error: Exception | None) -> None:
        async with self._lock:
            if generation != self._generation or not self.connected:
                return  # a stopped track, or the connection dropped: nothing moves on
            source = self.source
            # FFmpeg gave nothing at all (a file gone, a server that closed at once); its exit
            # code may not be known yet when discord.py's player stops reading. From a seek to
            # the last second, nothing is what a track gives: it just ended.
            if (
                error is None
                and source is not None
                and source.frames == 0
                and not source.at_the_end
            ):
                error = SourceGaveNothingError(source.plan.location)
            if error is not None:
                current = self.queue.current
                log.warning("Guild %s: playback failed: %s", self.guild_id, error)
                if current is not None:
                    await self.hooks.track_failed(self, current, error)
            await self._advance(skip=False)

    async def _advance(self, *, skip: bool) -> None:
        track = self.queue.skip() if skip else self.queue.advance()
        if track is None:
            await self._silence()
            self._restored_position = 0.0
            await self.hooks.queue_changed(self)
            await self.hooks.queue_ended(self)
            return
        await self.hooks.queue_changed(self)
        await self._play(track)

    async def _swap(self, start: float) -> None:
        """Replace the running source at ``start`` (seek, effect, volume) without a gap.

        The new source plays from the media address the running one found: a web page is not
        looked up again, which would take seconds while the old source plays on.
        """
        track = self.queue.current
        voice = self.voice_client
        if track is None or self.source is None:
            return
        if not (voice.is_playing() or voice.is_paused()):
            await self._play(track, start)
            return
        new = await self._make_source(
            track, start, heard_before=self.source.heard, located=self.source.located
        )
        old, self.source = self.source, new
        voice.source = new
        if self.paused:
            voice.pause()  # discord.py resumes when a source is swapped in
        await asyncio.to_thread(old.cleanup)

    # -- what the commands call ----------------------------------------------------------------

    async def enqueue(
        self, tracks: list[Track], *, play_next: bool = False, premium: bool = False
    ) -> int:
        """Queue tracks (``premium``: premium covers the member adding them) and start playing
        if idle; returns the position of the first."""
        async with self._lock:
            position = self.queue.add(tracks, play_next=play_next, premium=premium)
            if self.queue.current is None:
                await self._advance(skip=False)
                return 0
            await self.hooks.queue_changed(self)
            return position

    async def resume_saved(self) -> None:
        """Start the restored current track where it was."""
        async with self._lock:
            current = self.queue.current
            if current is not None:
                await self._play(current, self._restored_position if current.is_seekable else 0)

    async def skip(self) -> Track | None:
        """Leave the current track (even when it loops); returns the next one."""
        async with self._lock:
            await self._advance(skip=True)
            return self.queue.current

    async def back(self) -> Track:
        """Play the previous track again."""
        async with self._lock:
            track = self.queue.back()
            await self.hooks.queue_changed(self)
            await self._play(track)
            return track

    async def seek(self, position: float) -> None:
        """Jump to a position of the current track."""
        async with self._lock:
            await self._swap(position)
            await self.hooks.queue_changed(self)

    async def apply_settings(self, settings: GuildSettings) -> None:
        """New volume, effect or loop: the audio changes from the current position."""
        async with self._lock:
            audio_changed = (settings.volume, settings.effect) != (
                self.settings.volume,
                self.settings.effect,
            )
            self.settings = settings
            self.queue.loop = settings.loop
            if audio_changed:
                await self._swap(self.position)
            await self.hooks.queue_changed(self)

    async def set_paused(self, paused: bool) -> None:
        """Pause or resume."""
        async with self._lock:
            self.paused = paused
            voice = self.voice_client
            if paused:
                voice.pause()
            else:
                voice.resume()
            await self.hooks.queue_changed(self)

    async def edit_queue(self, change: Callable[[TrackQueue], EditResult]) -> EditResult:
        """Apply an edit of the upcoming tracks (remove, move, shuffle...) and save it."""
        async with self._lock:
            result = change(self.queue)
            await self.hooks.queue_changed(self)
            return result

    async def stop(self) -> None:
        """Stop playing and forget the current source (leaving, shutting down)."""
        async with self._lock:
            await self._silence()
        for task in list(self._tasks):
            task.cancel()
