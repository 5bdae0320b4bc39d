"""Internet radios: a local ICY server, its titles followed, and a radio played end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from music_helpers import AudioFactory, Room, command, in_voice, wait_for

from botfleet.bots.music.services.icy import follow_icy_titles, parse_icy_metadata
from botfleet.config.schema import Settings
from botfleet.sandbox import Message, SandboxChannel

METAINT = 4096
TITLES = ("Tones - First", "Tones - First", "Tones - Second")


def metadata_block(title: str) -> bytes:
    text = f"StreamTitle='{title}';StreamUrl='';".encode()
    padded = text + b"\0" * (-len(text) % 16)
    return bytes([len(padded) // 16]) + padded


@dataclass
class Radio:
    """Streams an MP3 like a SHOUTcast server: ICY titles only for clients that ask."""

    audio: bytes
    base: str = ""
    requests: list[bool] = field(default_factory=list)

    async def moved(self, request: web.Request) -> web.StreamResponse:
        """The public address a member gave, sending the follower to a loopback one."""
        raise web.HTTPFound("/live")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        wants_titles = request.headers.get("Icy-MetaData") == "1"
        self.requests.append(wants_titles)
        headers = {"Content-Type": "audio/mpeg", "icy-name": "Local Tones FM"}
        if wants_titles:
            headers["icy-metaint"] = str(METAINT)
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for number, start in enumerate(range(0, len(self.audio), METAINT)):
            chunk = self.audio[start : start + METAINT]
            await response.write(chunk)
            if wants_titles and len(chunk) == METAINT:
                await response.write(metadata_block(TITLES[min(number, len(TITLES) - 1)]))
        return response


@pytest.fixture
async def radio(make_audio: AudioFactory) -> AsyncIterator[Radio]:
    station = Radio(make_audio("radio.mp3", seconds=3.0, frequency=330).read_bytes())
    app = web.Application()
    app.router.add_get("/live", station.stream)
    app.router.add_get("/moved", station.moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    station.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield station
    finally:
        await runner.cleanup()


def test_titles_are_read_from_metadata_blocks() -> None:
    assert parse_icy_metadata(metadata_block("A - B")[1:]) == "A - B"
    assert parse_icy_metadata(b"StreamTitle='';\0\0") is None
    assert parse_icy_metadata(b"\0" * 16) is None


async def titles_of(url: str, *, allow_private: bool) -> list[str]:
    """The titles the follower reports for the radio at ``url``, in order."""
    seen: list[str] = []

    async def note(title: str) -> None:
        seen.append(title)

    async with aiohttp.ClientSession() as session:
        await follow_icy_titles(session, url, note, allow_private=allow_private)
    return seen


async def test_each_new_title_is_reported_once(radio: Radio) -> None:
    titles = await titles_of(f"{radio.base}/live", allow_private=False)
    assert titles == ["Tones - First", "Tones - Second"]


async def test_a_redirect_to_a_private_address_is_not_followed(radio: Radio) -> None:
    assert await titles_of(f"{radio.base}/moved", allow_private=False) == []
    assert radio.requests == []  # the loopback address was never asked
    titles = await titles_of(f"{radio.base}/moved", allow_private=True)
    assert titles == ["Tones - First", "Tones - Second"]


def radio_controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    for message in reversed(channel.messages()):
        embeds = message.embeds if message.author.id == bot_id else []
        if embeds and "📻 Tones - " in embeds[0].get("description", ""):
            return message
    return None


@pytest.mark.usefixtures("real_time")
async def test_a_radio_plays_and_shows_its_titles(
    room: Room,
    radio: Radio,
    make_settings: Callable[..., Settings],
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(make_settings(allow_private_addresses=True)) as bot:
        answer = await command(alice, general, app, "play", query=f"{radio.base}/live")
        assert "Playing **Local Tones FM**" in answer
        voice = await in_voice(stage, bot)
        shown = await wait_for(
            stage, lambda: radio_controller(general, voice.user.id), "the radio's title"
        )
        assert "🔴 LIVE" in shown.embeds[0]["fields"][0]["value"]
        playback = await voice.wait_for_playback(timeout=10)
        assert playback.error is None and playback.frames > 50
        assert radio.requests.count(True) >= 2  # FFmpeg and the title follower both ask for titles
