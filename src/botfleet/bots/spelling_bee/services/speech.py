"""A word's pronunciation as a small audio file, made offline with espeak-ng and cached on disk.

espeak-ng writes a WAV; ffmpeg, when installed, turns it into OGG/Opus (a tenth of the size).
Both run as subprocesses off the event loop with a time limit, and every file operation runs
in a thread. The cache keeps one file per word under the bot's state directory and drops the
least recently used files once it holds more than its limit. Without espeak-ng there is no
audio and the classic mode is played in text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

ESPEAK: Final = "espeak-ng"
FFMPEG: Final = "ffmpeg"
OGG: Final = "ogg"
WAV: Final = "wav"
DEFAULT_VOICE: Final = "en-us"
WORDS_PER_MINUTE: Final = 130
"""A little slower than espeak-ng's 175, as a spelling bee's caller speaks."""
OPUS_BITRATE: Final = "24k"
_SPEAKABLE: Final = re.compile(r"[a-z]{1,40}")


@dataclass(frozen=True, slots=True)
class Pronunciation:
    """A spoken word: the audio bytes and their file extension (``ogg`` or ``wav``)."""

    audio: bytes
    extension: str

    @property
    def filename(self) -> str:
        """A name that does not give the word away."""
        return f"pronunciation.{self.extension}"


class Speech:
    """Speaks words with espeak-ng into a bounded on-disk cache."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        max_cache_bytes: int,
        espeak: str | None = None,
        ffmpeg: str | None = None,
        voice: str = DEFAULT_VOICE,
        timeout: float = 10.0,
    ) -> None:
        self.cache_dir = cache_dir
        self.max_cache_bytes = max_cache_bytes
        self.espeak = espeak
        self.ffmpeg = ffmpeg
        self.voice = voice
        self.timeout = timeout
        self._lock = asyncio.Lock()

    @classmethod
    def installed(cls, cache_dir: Path, *, max_cache_bytes: int, voice: str) -> Speech:
        """Speech with the espeak-ng and ffmpeg found on ``PATH`` (either may be missing)."""
        return cls(
            cache_dir,
            max_cache_bytes=max_cache_bytes,
            espeak=shutil.which(ESPEAK),
            ffmpeg=shutil.which(FFMPEG),
            voice=voice,
        )

    @property
    def available(self) -> bool:
        return self.espeak is not None

    async def pronounce(self, word: str) -> Pronunciation | None:
        """The word spoken, from the cache or made now; None without espeak-ng or on failure."""
        if self.espeak is None:
            return None
        if _SPEAKABLE.fullmatch(word) is None:
            raise ValueError(f"only lowercase words are spoken, not {word!r}")
        async with self._lock:
            cached = await asyncio.to_thread(self._read_cached, word)
            if cached is not None:
                return cached
            made = await self._synthesise(word, self.espeak)
            if made is not None:
                await asyncio.to_thread(self._prune)
            return made

    def _path(self, word: str, extension: str) -> Path:
        return self.cache_dir / f"{word}.{extension}"

    def _read_cached(self, word: str) -> Pronunciation | None:
        for extension in (OGG, WAV):
            path = self._path(word, extension)
            try:
                audio = path.read_bytes()
                os.utime(path)
            except FileNotFoundError:
                continue
            return Pronunciation(audio, extension)
        return None

    async def _synthesise(self, word: str, espeak: str) -> Pronunciation | None:
        await asyncio.to_thread(self.cache_dir.mkdir, parents=True, exist_ok=True)
        stem = self.cache_dir / f".{word}.{secrets.token_hex(4)}"
        wav, ogg = stem.with_suffix(f".{WAV}"), stem.with_suffix(f".{OGG}")
        try:
            spoken = await self._run(
                espeak, "-v", self.voice, "-s", str(WORDS_PER_MINUTE), "-w", str(wav), word
            )
            if not spoken:
                return None
            made, extension = wav, WAV
            if self.ffmpeg is not None and await self._run(
                self.ffmpeg,
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-c:a",
                "libopus",
                "-b:a",
                OPUS_BITRATE,
                str(ogg),
            ):
                made, extension = ogg, OGG
            return await asyncio.to_thread(self._keep, made, word, extension)
        finally:
            await asyncio.to_thread(_remove, wav, ogg)

    def _keep(self, made: Path, word: str, extension: str) -> Pronunciation | None:
        """Move a made file into the cache; None when the tool said it worked but wrote none."""
        final = self._path(word, extension)
        try:
            made.replace(final)
        except FileNotFoundError:
            log.warning("%s wrote no audio for a word", self.espeak)
            return None
        return Pronunciation(final.read_bytes(), extension)

    async def _run(self, *command: str) -> bool:
        """Run a tool with the time limit; False (and a log line) when it fails."""
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as problem:
            log.warning("could not run %s: %s", command[0], problem)
            return False
        try:
            async with asyncio.timeout(self.timeout):
                _, errors = await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
            log.warning("%s took more than %.0f s and was stopped", command[0], self.timeout)
            return False
        if process.returncode != 0:
            log.warning(
                "%s failed (exit %s): %s",
                command[0],
                process.returncode,
                errors.decode(errors="replace").strip()[:300],
            )
            return False
        return True

    def _prune(self) -> None:
        """Drop the least recently used files until the cache fits its limit."""
        files = []
        for path in self.cache_dir.glob("[a-z]*.*"):
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            files.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files, key=lambda entry: entry[0]):
            if total <= self.max_cache_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
