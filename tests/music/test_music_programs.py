"""Which FFmpeg plays: the configured program, else imageio-ffmpeg's binary, else a clear error;
and the wheel's binary really plays generated audio, passed through and re-encoded."""

from __future__ import annotations

import importlib
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from botfleet.bots.music.commands import find_ffmpeg
from botfleet.bots.music.player import ffmpeg_source_factory
from botfleet.bots.music.services.ffmpeg import Effect, plan_source
from botfleet.bots.music.services.programs import (
    FFmpegMissingError,
    FFmpegOrigin,
    resolve_ffmpeg,
)
from botfleet.bots.music.services.tracks import SourceKind, Track


def imageio_binary() -> str:
    path: str = importlib.import_module("imageio_ffmpeg").get_ffmpeg_exe()
    return path


def test_the_configured_program_on_path_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    program = resolve_ffmpeg("ffmpeg-6")
    assert (program.path, program.origin) == ("/opt/bin/ffmpeg-6", FFmpegOrigin.CONFIGURED)


def test_a_configured_path_that_exists_is_used(tmp_path: Path) -> None:
    program = tmp_path / "my-ffmpeg"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    found = resolve_ffmpeg(str(program))
    assert (found.path, found.origin) == (str(program), FFmpegOrigin.CONFIGURED)


def test_a_missing_program_falls_back_to_imageio_ffmpeg(tmp_path: Path) -> None:
    program = resolve_ffmpeg(str(tmp_path / "no-such-ffmpeg"))
    assert program.origin is FFmpegOrigin.IMAGEIO
    assert program.path == imageio_binary()
    assert Path(program.path).is_file()


def test_without_either_the_error_says_how_to_install_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(FFmpegMissingError, match=r"apt install ffmpeg.*botfleet\[music\]"):
        resolve_ffmpeg("ffmpeg")


@pytest.mark.parametrize(("codec", "effect"), [("opus", Effect.NONE), (None, Effect.BASS_BOOST)])
def test_imageio_ffmpegs_binary_plays_a_generated_file(
    tmp_path: Path, codec: str | None, effect: Effect
) -> None:
    executable = imageio_binary()
    audio = tmp_path / "tone.ogg"
    subprocess.run(
        [
            executable,
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
            "-c:a",
            "libopus",
            str(audio),
        ],
        check=True,
        timeout=60,
    )
    track = Track(title="Tone", location=str(audio), kind=SourceKind.FILE, codec=codec)
    plan = plan_source(track, start=0, volume=100, effect=effect)
    assert plan.passthrough is (codec == "opus")
    source = ffmpeg_source_factory(executable)(plan)
    frames = 0
    try:
        while packet := source.read():
            frames += 1
            assert len(packet) > 2
    finally:
        source.cleanup()
    assert 45 <= frames <= 55  # one second of 20 ms Opus frames


async def test_the_bot_plays_with_the_fallback_or_logs_how_to_install_ffmpeg(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    missing = str(tmp_path / "ffmpeg")
    assert await find_ffmpeg(missing) == imageio_binary()
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with caplog.at_level(logging.ERROR, logger="botfleet.bots.music.commands"):
        assert await find_ffmpeg(missing) == missing
    assert "apt install ffmpeg" in caplog.text
    assert "tracks cannot play until then" in caplog.text
