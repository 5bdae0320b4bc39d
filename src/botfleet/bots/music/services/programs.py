"""Which FFmpeg the players run: the configured program, else the imageio-ffmpeg wheel's.

The wheel (in the ``music`` extra) carries a static FFmpeg built with libopus, enough to play
every source. It carries no ffprobe: links and attached files, which ffprobe measures before
they are queued, still need a system ffprobe (``ffprobe_executable``).
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from enum import StrEnum

INSTALL_HINT = (
    "install ffmpeg (apt install ffmpeg, brew install ffmpeg) or the music extra, whose "
    "imageio-ffmpeg wheel carries one (pip install 'botfleet[music]')"
)


class FFmpegOrigin(StrEnum):
    """Where the FFmpeg the players run comes from."""

    CONFIGURED = "configured"
    IMAGEIO = "imageio-ffmpeg"


@dataclass(frozen=True, slots=True)
class FFmpegProgram:
    """The FFmpeg executable found and where it came from."""

    path: str
    origin: FFmpegOrigin


class FFmpegMissingError(Exception):
    """Neither the configured FFmpeg nor imageio-ffmpeg's binary is available."""


def resolve_ffmpeg(configured: str) -> FFmpegProgram:
    """The configured program when it is on PATH (or a path that exists), else the wheel's.

    Blocking (it may import imageio-ffmpeg and check its binary): run it in a thread.
    """
    found = shutil.which(configured)
    if found is not None:
        return FFmpegProgram(found, FFmpegOrigin.CONFIGURED)
    bundled = _imageio_ffmpeg()
    if bundled is None:
        raise FFmpegMissingError(
            f"FFmpeg `{configured}` was not found and imageio-ffmpeg has no binary: {INSTALL_HINT}"
        )
    return FFmpegProgram(bundled, FFmpegOrigin.IMAGEIO)


def _imageio_ffmpeg() -> str | None:
    """imageio-ffmpeg's binary, or None when the wheel is not installed or has none."""
    try:
        module = importlib.import_module("imageio_ffmpeg")
    except ImportError:
        return None
    try:
        path: str = module.get_ffmpeg_exe()
    except RuntimeError:
        return None
    return path
