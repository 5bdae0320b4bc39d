"""Fixtures of the Music tests: audio files FFmpeg generates, and the bot on the stand-in."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from music_helpers import AudioFactory, RealTimeVoiceClient, Room

from botfleet.bots.music.player import VoiceBackend, use_backend
from botfleet.config.schema import Settings
from botfleet.sandbox import Application, SandboxChannel, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.sandbox.voice import SandboxVoiceClient


@pytest.fixture
def make_audio(program: Callable[[str, str], str], tmp_path: Path) -> AudioFactory:
    """``make_audio("a.ogg", seconds=1.0, frequency=440, title=..., artist=...)``: a tone file.

    The container and codec follow the suffix (``.opus``/``.ogg`` are Opus, ``.mp3`` MP3, ...).
    A frequency of 0 writes silence.
    """
    ffmpeg = program("ffmpeg", "generating test audio")

    def make(
        name: str,
        *,
        seconds: float = 1.0,
        frequency: int = 440,
        folder: Path | None = None,
        **tags: str,
    ) -> Path:
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        source = (
            f"sine=frequency={frequency}:sample_rate=48000:duration={seconds}"
            if frequency
            else f"anullsrc=r=48000:cl=stereo:d={seconds}"
        )
        codec = ["-c:a", "libopus"] if path.suffix in {".ogg", ".opus"} else []
        metadata = [arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")]
        command = [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2"]
        subprocess.run([*command, *codec, *metadata, str(path)], check=True, timeout=30)
        return path

    return make


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("music", guild="Music Room")


@pytest.fixture
def make_settings(stage: FleetBotStage) -> Callable[..., Settings]:
    """The bot's test settings; the web search is off (tests never reach the internet)."""

    def make(**options: object) -> Settings:
        options.setdefault("web_search", None)
        return stage.settings(**options)

    return make


@pytest.fixture
def library(make_audio: AudioFactory, tmp_path: Path) -> Path:
    """The bot's library: two one-second tones and a minute-long one."""
    folder = tmp_path / "library"
    make_audio("first.ogg", folder=folder, seconds=1.0, title="First Light", artist="Tones")
    make_audio("second.mp3", folder=folder, seconds=1.0, frequency=660, title="Second Wind")
    make_audio("long.ogg", folder=folder, seconds=60.0, frequency=220, title="Long Road")
    return folder


@pytest.fixture
def settings(make_settings: Callable[..., Settings], library: Path) -> Settings:
    return make_settings(library_path=str(library), alone_timeout=60, idle_timeout=60)


@pytest.fixture
def real_time() -> Iterator[None]:
    """Players read 20 ms frames in real time."""
    with use_backend(VoiceBackend(voice_client_class=RealTimeVoiceClient)):
        yield


@pytest.fixture
def fast() -> Iterator[None]:
    """Players read frames as fast as FFmpeg makes them."""
    with use_backend(VoiceBackend(voice_client_class=SandboxVoiceClient)):
        yield


@pytest.fixture
def lounge(guild: SandboxGuild) -> SandboxChannel:
    """The guild's voice channel."""
    return guild.channel("General")


@pytest.fixture
async def room(
    stage: FleetBotStage,
    app: Application,
    general: SandboxChannel,
    lounge: SandboxChannel,
    alice: SandboxMember,
) -> Room:
    """Alice in the voice channel, ready to ask the bot for music in #general."""
    await alice.join_voice(lounge)
    return Room(stage, app, general, lounge, alice)
