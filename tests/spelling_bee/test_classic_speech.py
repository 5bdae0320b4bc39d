"""Speaking words with espeak-ng (and ffmpeg), the on-disk cache, and the text fallback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from botfleet.bots.spelling_bee.services.speech import Speech
from botfleet.doctor import Status, check_speech


@pytest.fixture
def espeak(program: Callable[[str, str], str]) -> str:
    return program("espeak-ng", "speaking the classic mode's words")


@pytest.fixture
def ffmpeg(program: Callable[[str, str], str]) -> str:
    return program("ffmpeg", "turning spoken words into small OGG files")


def cached_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def cache_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir())


async def test_a_word_is_spoken_once_and_then_read_from_the_cache(
    tmp_path: Path, espeak: str, ffmpeg: str
) -> None:
    speech = Speech(tmp_path, max_cache_bytes=1_000_000, espeak=espeak, ffmpeg=ffmpeg)
    assert speech.available
    spoken = await speech.pronounce("necessary")
    assert spoken is not None
    assert spoken.extension == "ogg" and spoken.audio.startswith(b"OggS")
    assert spoken.filename == f"pronunciation.{spoken.extension}", "the name hides the word"
    assert cached_files(tmp_path) == [f"necessary.{spoken.extension}"]

    speech.espeak = "/nonexistent/espeak-ng"
    again = await speech.pronounce("necessary")
    assert again == spoken, "the second time comes from the cache, without espeak-ng"


async def test_without_ffmpeg_the_word_is_a_wav(tmp_path: Path, espeak: str) -> None:
    speech = Speech(tmp_path, max_cache_bytes=1_000_000, espeak=espeak, ffmpeg=None)
    spoken = await speech.pronounce("garden")
    assert spoken is not None and spoken.extension == "wav"
    assert spoken.audio.startswith(b"RIFF") and b"WAVE" in spoken.audio[:12]


async def test_the_cache_keeps_within_its_size(tmp_path: Path, espeak: str) -> None:
    speech = Speech(tmp_path, max_cache_bytes=1, espeak=espeak, ffmpeg=None)
    for word in ("garden", "river", "candle"):
        assert await speech.pronounce(word) is not None
    assert cached_files(tmp_path) == [], "every file is over a one-byte limit"

    first = await Speech(tmp_path, max_cache_bytes=1_000_000, espeak=espeak).pronounce("garden")
    assert first is not None
    limit = len(first.audio) * 2 + 100
    speech = Speech(tmp_path, max_cache_bytes=limit, espeak=espeak, ffmpeg=None)
    for word in ("river", "candle", "planet"):
        assert await speech.pronounce(word) is not None
    assert cache_size(tmp_path) <= limit
    assert "garden.wav" not in cached_files(tmp_path), "the least recently used goes first"


async def test_without_espeak_there_is_no_audio(tmp_path: Path) -> None:
    speech = Speech(tmp_path / "speech", max_cache_bytes=1_000_000, espeak=None, ffmpeg=None)
    assert not speech.available
    assert await speech.pronounce("garden") is None
    assert not (tmp_path / "speech").exists()


async def test_a_failing_or_hanging_tool_gives_no_audio(tmp_path: Path) -> None:
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'no voice' >&2\nexit 3\n")
    hanging = tmp_path / "hanging"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    for tool in (failing, hanging):
        tool.chmod(0o755)
    cache = tmp_path / "cache"
    broken = Speech(cache, max_cache_bytes=1_000_000, espeak=str(failing))
    assert await broken.pronounce("garden") is None
    stuck = Speech(cache, max_cache_bytes=1_000_000, espeak=str(hanging), timeout=0.2)
    assert await stuck.pronounce("garden") is None
    assert cached_files(cache) == [], "nothing half-made is left behind"


async def test_only_plain_words_are_spoken(tmp_path: Path) -> None:
    speech = Speech(tmp_path, max_cache_bytes=1_000_000, espeak=shutil.which("true"))
    with pytest.raises(ValueError, match="only lowercase words"):
        await speech.pronounce("../etc")
    assert await speech.pronounce("garden") is None, "a tool that wrote nothing gives no audio"


def test_doctor_says_what_to_install_for_speech(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = check_speech()
    assert missing.status is Status.WARN and "no audio" in missing.detail
    assert missing.fix is not None and "apt install espeak-ng" in missing.fix

    for tool in ("espeak-ng", "ffmpeg"):
        fake = tmp_path / tool
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
        found = check_speech()
        assert found.status is Status.OK and found.fix is None
        assert ("WAV" in found.detail) is (tool == "espeak-ng")
