"""``SandboxVoiceClient``: a ``discord.VoiceProtocol`` that joins voice through the sandbox.

Discord's voice needs a voice gateway, UDP and encryption that no loopback stand-in provides,
so the music bot takes its voice-client class by injection, and tests inject this one::

    voice = await channel.connect(cls=SandboxVoiceClient)
    voice.play(discord.PCMAudio(io.BytesIO(pcm)), after=on_done)

The gateway half of voice is real: ``connect`` sends opcode 4, the sandbox moves the bot into
the channel and answers VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE, and a moderator
disconnecting the bot ends the connection the same way it would on Discord. The voice-server
half is replaced by a player thread that reads the ``AudioSource`` frame by frame, exactly as
discord.py's own player reads it, and records what it read (``playbacks``), calling ``after``
from that thread as discord.py does. Nothing is encoded or sent anywhere.
"""

# connect() and move_to() take `timeout` because discord.py's VoiceProtocol interface does, and
# wait_for_playback() takes one to say what was awaited when it runs out.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

import discord

from botfleet.utils.tasks import wait_at_most

if TYPE_CHECKING:
    from discord.types.voice import GuildVoiceState as GuildVoiceStatePayload
    from discord.types.voice import VoiceServerUpdate as VoiceServerUpdatePayload

log = logging.getLogger(__name__)

AfterCallback = Callable[[Exception | None], Any]


@dataclass(eq=False)
class Playback:
    """One ``play()``: its source, every frame read from it and how it ended."""

    source: discord.AudioSource
    frames: int = 0
    data: bytearray = field(default_factory=bytearray)
    """The bytes of every frame read, in order (PCM or Opus, as the source produces them)."""
    finished: bool = False
    """The source ran out of frames."""
    stopped: bool = False
    """Playback was stopped (``stop()``, a disconnect) before the source ran out."""
    error: Exception | None = None
    """What the source raised while being read, if anything."""
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def _record(self, frame: bytes) -> None:
        self.frames += 1
        self.data.extend(frame)


class _Player(threading.Thread):
    """Reads a source frame by frame in its own thread, like discord.py's AudioPlayer."""

    def __init__(
        self,
        playback: Playback,
        *,
        after: AfterCallback | None,
        frame_interval: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(daemon=True, name=f"sandbox-audio-player:{id(self):#x}")
        self.playback = playback
        self._after = after
        self._frame_interval = frame_interval
        self._loop = loop
        self._end = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            self._read_frames()
        except Exception as error:  # the source failed: report it to `after`, as discord.py does
            self.playback.error = error
        finally:
            self._end.set()
            self._call_after()
            self.playback.source.cleanup()
            with contextlib.suppress(RuntimeError):  # the test's loop may be gone already
                self._loop.call_soon_threadsafe(self.playback.ended.set)

    def _read_frames(self) -> None:
        while not self._end.is_set():
            if not self._resumed.is_set():
                self._resumed.wait()
                continue
            with self._lock:
                frame = self.playback.source.read()
            if not frame:
                self.playback.finished = True
                # As discord.py's AudioPlayer: a source that ran dry because it failed (FFmpeg
                # exiting with an error) reports that failure to `after`.
                failure = getattr(self.playback.source, "_current_error", None)
                if isinstance(failure, Exception):
                    self.playback.error = failure
                return
            self.playback._record(frame)
            if self._frame_interval:
                self._end.wait(self._frame_interval)
        self.playback.stopped = True

    def _call_after(self) -> None:
        if self._after is None:
            if self.playback.error is not None:
                log.error("Exception in the sandbox voice player", exc_info=self.playback.error)
            return
        try:
            self._after(self.playback.error)
        except Exception:
            log.exception("Calling the after function of a sandbox playback failed")

    def stop(self) -> None:
        self._end.set()
        self._resumed.set()

    def pause(self) -> None:
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    def is_playing(self) -> bool:
        return self._resumed.is_set() and not self._end.is_set() and self.is_alive()

    def is_paused(self) -> bool:
        return not self._end.is_set() and not self._resumed.is_set()

    def set_source(self, source: discord.AudioSource) -> None:
        """Swap the source as discord.py's AudioPlayer does: a paused player resumes."""
        with self._lock:
            self.pause()
            self.playback.source = source
            self.resume()


class SandboxVoiceClient(discord.VoiceProtocol):
    """A voice client whose connection is the sandbox gateway and whose speaker is a recorder.

    It offers the part of ``discord.VoiceClient`` a music bot uses: ``play``, ``pause``,
    ``resume``, ``stop``, ``source``, ``is_playing``, ``is_paused``, ``is_connected``,
    ``move_to`` and ``disconnect``. Subclass it with a ``frame_interval`` of 0.02 to read in
    real time (for a test that must act while a track is still playing).
    """

    frame_interval: ClassVar[float] = 0.0
    """Seconds between frames: 0 reads as fast as the source allows, 0.02 is real time."""

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self.session_id: str | None = None
        self.token: str | None = None
        self.endpoint: str | None = None
        """Where Discord would have the bot open its voice connection (the sandbox's address)."""
        self.playbacks: list[Playback] = []
        self._connected = False
        self._joined = asyncio.Event()
        self._server_known = asyncio.Event()
        self._player: _Player | None = None

    @property
    def voice_channel(self) -> discord.VoiceChannel | discord.StageChannel:
        """The voice channel the client is connected to (or connecting to)."""
        channel = self.channel
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            raise TypeError(f"{channel!r} is not a voice channel")
        return channel

    @property
    def guild(self) -> discord.Guild:
        """The guild of the voice channel."""
        return self.voice_channel.guild

    @property
    def user(self) -> discord.ClientUser:
        """The bot's own user."""
        if self.client.user is None:
            raise RuntimeError("the client is not logged in")
        return self.client.user

    # -- the gateway half of voice ---------------------------------------------------------

    async def connect(
        self, *, timeout: float, reconnect: bool, self_deaf: bool = False, self_mute: bool = False
    ) -> None:
        """Ask the gateway to join the channel and wait for both voice events Discord sends."""
        self._joined.clear()
        self._server_known.clear()
        await self.guild.change_voice_state(
            channel=self.voice_channel, self_mute=self_mute, self_deaf=self_deaf
        )
        async with asyncio.timeout(timeout):
            await self._joined.wait()
            await self._server_known.wait()
        self._connected = True

    async def on_voice_state_update(self, data: GuildVoiceStatePayload, /) -> None:
        """The bot's own voice state changed: joined, moved, or disconnected by someone."""
        self.session_id = data["session_id"]
        # Discord sends a null channel when the bot left, which discord.py's TypedDict omits.
        channel_id = cast("str | None", data.get("channel_id"))
        if channel_id is None:
            self._connected = False
            self.stop()
            self.cleanup()
            return
        channel = self.guild.get_channel(int(channel_id))
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            self.channel = channel
        self._joined.set()

    async def on_voice_server_update(self, data: VoiceServerUpdatePayload, /) -> None:
        """Discord named the voice server; the sandbox client has nothing to open there."""
        self.token = data["token"]
        self.endpoint = data["endpoint"]
        self._server_known.set()

    async def disconnect(self, *, force: bool = False) -> None:
        """Stop playing and leave voice (opcode 4 without a channel)."""
        if not force and not self._connected:
            return
        self.stop()
        was_connected, self._connected = self._connected, False
        if was_connected:
            await self.guild.change_voice_state(channel=None)
        self.cleanup()

    async def move_to(
        self, channel: discord.abc.Snowflake | None, *, timeout: float = 30.0
    ) -> None:
        """Move to another voice channel of the guild (``None`` disconnects)."""
        if channel is None:
            await self.disconnect(force=True)
            return
        target = self.guild.get_channel(channel.id)
        if not isinstance(target, discord.VoiceChannel | discord.StageChannel):
            raise discord.ClientException(f"{channel.id} is not a voice channel of the guild")
        self._joined.clear()
        await self.guild.change_voice_state(channel=target)
        async with asyncio.timeout(timeout):
            while self.voice_channel.id != target.id:
                self._joined.clear()
                await self._joined.wait()

    def is_connected(self) -> bool:
        """Whether the bot is in a voice channel."""
        return self._connected

    # -- the player --------------------------------------------------------------------------

    def play(
        self,
        source: discord.AudioSource,
        *,
        after: AfterCallback | None = None,
        **_encoder_settings: Any,
    ) -> None:
        """Play a source by reading it frame by frame; ``after(error)`` runs when it ends.

        Refuses exactly what ``discord.VoiceClient.play`` refuses. Encoder settings
        (bitrate, application, ...) are accepted and ignored: nothing is encoded.
        """
        if not self.is_connected():
            raise discord.ClientException("Not connected to voice.")
        if self.is_playing():
            raise discord.ClientException("Already playing audio.")
        if not isinstance(source, discord.AudioSource):
            raise TypeError(f"source must be an AudioSource not {source.__class__.__name__}")
        if after is not None and not callable(after):
            raise TypeError('Expected a callable for the "after" parameter.')
        playback = Playback(source=source)
        self.playbacks.append(playback)
        self._player = _Player(
            playback,
            after=after,
            frame_interval=self.frame_interval,
            loop=asyncio.get_running_loop(),
        )
        self._player.start()

    def is_playing(self) -> bool:
        """Whether a source is being read (and not paused)."""
        return self._player is not None and self._player.is_playing()

    def is_paused(self) -> bool:
        """Whether playback is paused."""
        return self._player is not None and self._player.is_paused()

    def pause(self) -> None:
        """Pause reading the source."""
        if self._player is not None:
            self._player.pause()

    def resume(self) -> None:
        """Resume reading the source."""
        if self._player is not None:
            self._player.resume()

    def stop(self) -> None:
        """Stop playing; ``after`` still runs, as with discord.py."""
        if self._player is not None:
            self._player.stop()
            self._player = None

    @property
    def source(self) -> discord.AudioSource | None:
        """The source being played, if any."""
        return self._player.playback.source if self._player is not None else None

    @source.setter
    def source(self, value: discord.AudioSource) -> None:
        if not isinstance(value, discord.AudioSource):
            raise TypeError(f"expected AudioSource not {value.__class__.__name__}.")
        if self._player is None:
            raise ValueError("Not playing anything.")
        self._player.set_source(value)

    async def wait_for_playback(self, *, timeout: float = 5.0) -> Playback:
        """Wait until the latest playback has ended (ran out, stopped or failed); return it."""
        if not self.playbacks:
            raise AssertionError("nothing was played on this voice client")
        playback = self.playbacks[-1]
        if not await wait_at_most(playback.ended, timeout):
            raise AssertionError(
                f"the playback still runs after {timeout:.1f}s ({playback.frames} frames read)"
            )
        return playback
