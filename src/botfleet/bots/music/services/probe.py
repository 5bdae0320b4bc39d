"""What FFmpeg's ``ffprobe`` says about a file or URL: length, codec and tags.

It runs as an asyncio subprocess (the event loop only waits on its pipe) with a deadline, so a
server that never answers cannot hang a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from botfleet.errors import UserError

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What was learnt about a media file."""

    duration: float | None
    codec: str | None
    title: str | None = None
    artist: str | None = None


def _tag(tags: dict[str, Any], name: str) -> str | None:
    for key, value in tags.items():
        if key.lower() == name and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def parse_probe_output(output: bytes) -> ProbeResult:
    """Read ffprobe's JSON; a file without an audio stream is refused."""
    data = json.loads(output or b"{}")
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise UserError("That file has no audio I can play.")
    media = data.get("format", {})
    tags = {**media.get("tags", {}), **streams[0].get("tags", {})}
    duration: float | None = None
    with contextlib.suppress(TypeError, ValueError):
        duration = float(media.get("duration"))
    return ProbeResult(
        duration=duration,
        codec=streams[0].get("codec_name"),
        title=_tag(tags, "title"),
        artist=_tag(tags, "artist"),
    )


async def probe(
    location: str, *, executable: str = "ffprobe", within: float = PROBE_TIMEOUT
) -> ProbeResult:
    """Probe ``location`` (a path or an already validated URL)."""
    try:
        process = await asyncio.create_subprocess_exec(
            executable,
            "-v",
            "error",
            "-show_entries",
            "format=duration:format_tags:stream=codec_type,codec_name:stream_tags",
            "-of",
            "json",
            location,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        # imageio-ffmpeg's FFmpeg plays the library without a system one, but has no ffprobe.
        log.error("ffprobe %r is not installed: links and attached files cannot play", executable)
        raise UserError(
            "This bot cannot read links or attached files here (its host has no ffprobe); "
            "tracks of its library still play."
        ) from None
    try:
        async with asyncio.timeout(within):
            output, errors = await process.communicate()
    except TimeoutError:
        raise UserError("The audio took too long to answer; try again later.") from None
    finally:
        if process.returncode is None:  # timed out or cancelled: never leave ffprobe running
            process.kill()
            await process.wait()
    if process.returncode != 0:
        log.warning(
            "ffprobe could not read %s: %s", location, errors.decode(errors="replace")[:300]
        )
        raise UserError("FFmpeg cannot read that audio (not a media file, or it is broken).")
    return parse_probe_output(output)
