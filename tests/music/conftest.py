"""Fixtures of the Music tests: audio files FFmpeg generates, and the bot on the stand-in."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from music_helpers import AudioFactory

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


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
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                source,
                "-ac",
                "2",
                *codec,
                *metadata,
                str(path),
            ],
            check=True,
            timeout=30,
        )
        return path

    return make


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("music", guild="Music Room")
