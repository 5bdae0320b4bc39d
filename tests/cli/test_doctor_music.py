"""`botfleet doctor` tells an operator what the Music Bot lacks, and how to get it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from botfleet import doctor
from botfleet.config import load_effective_config
from botfleet.doctor import Status


def test_voice_is_ok_with_pynacl_and_davey_installed() -> None:
    check = doctor.check_voice()
    assert check.status is Status.OK, check


@pytest.mark.parametrize("absent", ["nacl", "davey"])
def test_a_missing_voice_library_is_named_with_its_fix(
    monkeypatch: pytest.MonkeyPatch, absent: str
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == absent else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    check = doctor.check_voice()
    assert check.status is Status.WARN
    assert f"missing {absent}" in check.detail
    assert "botfleet[music]" in (check.fix or "")


def test_the_configured_ffmpeg_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    check = doctor.check_ffmpeg("ffmpeg")
    assert (check.status, check.detail) == (Status.OK, "/opt/bin/ffmpeg")


def test_imageio_ffmpegs_binary_is_reported_when_ffmpeg_is_missing(tmp_path: Path) -> None:
    missing = str(tmp_path / "ffmpeg")
    check = doctor.check_ffmpeg(missing)
    assert check.status is Status.OK
    assert check.detail.startswith("imageio-ffmpeg's binary /")
    assert check.detail.endswith(f"(`{missing}` is not on PATH)")


def test_a_missing_ffmpeg_is_named_with_its_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    check = doctor.check_ffmpeg()
    assert check.status is Status.WARN
    assert "imageio-ffmpeg is not installed" in check.detail
    assert "apt install ffmpeg" in (check.fix or "")
    assert "botfleet[music]" in (check.fix or "")


def test_ffprobe_is_found_where_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    check = doctor.check_ffprobe()
    assert check.status is Status.OK
    assert check.detail == "/opt/bin/ffprobe"


def test_a_missing_ffprobe_is_named_with_its_fix(tmp_path: Path) -> None:
    check = doctor.check_ffprobe(str(tmp_path / "ffprobe"))
    assert (check.name, check.status) == ("ffprobe", Status.WARN)
    assert "links or attached files" in check.detail
    assert "imageio-ffmpeg's binary plays the library, but it has no ffprobe" in check.detail
    assert "apt install ffmpeg" in (check.fix or "")


def test_the_programs_named_in_the_music_options_are_checked(tmp_path: Path) -> None:
    environ = {
        "BOTFLEET_OPTIONS__FFMPEG_EXECUTABLE": "/opt/ffmpeg-7/ffmpeg",
        "BOTFLEET_OPTIONS__FFPROBE_EXECUTABLE": "/opt/ffmpeg-7/ffprobe",
    }
    music = load_effective_config("music", config_dir=tmp_path, environ=environ)
    assert doctor.music_programs({"music": music}) == (
        "/opt/ffmpeg-7/ffmpeg",
        "/opt/ffmpeg-7/ffprobe",
    )
    broken = load_effective_config(
        "music", config_dir=tmp_path, environ={"BOTFLEET_OPTIONS__MAX_QUEUE_SIZE": "0"}
    )
    assert doctor.music_programs({"music": broken}) == ("ffmpeg", "ffprobe")
    assert doctor.music_programs({}) == ("ffmpeg", "ffprobe")
