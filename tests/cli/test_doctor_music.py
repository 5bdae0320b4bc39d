"""`botfleet doctor` tells an operator what the Music Bot lacks, and how to get it."""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import pytest

from botfleet import doctor
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


def test_a_missing_ffmpeg_is_named_with_its_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    check = doctor.check_ffmpeg()
    assert check.status is not Status.OK
    assert "apt install ffmpeg" in (check.fix or "")


def test_ffprobe_is_found_where_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    check = doctor.check_ffprobe()
    assert check.status is Status.OK
    assert check.detail == "/opt/bin/ffprobe"


def test_a_missing_ffprobe_is_named_with_its_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "ffprobe" else f"/b/{name}")
    check = doctor.check_ffprobe()
    assert check.status is Status.WARN
    assert "links or attached files" in check.detail
    assert "apt install ffmpeg" in (check.fix or "")
