"""The yt-dlp resolver, run for real against a local server: a page embedding a generated file."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aiohttp import web
from music_helpers import FRAMES_PER_SECOND, AudioFactory, Room, command, in_voice

from botfleet.bots.music.services.http_sources import check_address, parse_url
from botfleet.bots.music.services.queue import QueueLimits, TrackQueue
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.bots.music.services.web import UrlCheck, YtDlpResolver, yt_dlp_extractor
from botfleet.config.schema import Settings
from botfleet.errors import UserError
from required import import_backend

import_backend("yt_dlp")

PAGE = """<!DOCTYPE html>
<html><head><title>Evening Tone</title></head>
<body><h1>Evening Tone</h1><audio controls src="/media/tone.ogg"></audio></body></html>
"""


@pytest.fixture
def visits() -> list[str]:
    """The paths the test site was asked for, in order."""
    return []


@pytest.fixture
async def site(make_audio: AudioFactory, visits: list[str]) -> AsyncIterator[str]:
    tone = make_audio("tone.ogg", seconds=2.0, title="Evening Tone")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def media(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tone, headers={"Content-Type": "audio/ogg"})

    async def empty(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>nothing here</body></html>", content_type="text/html")

    async def jump(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{request.url.port}/inside")

    async def inside(request: web.Request) -> web.Response:
        visits.append(request.path)
        # A page only the private network reaches, pointing at media anyone may fetch.
        public_media = f"http://127.0.0.1:{request.url.port}/media/tone.ogg"
        return web.Response(
            text=PAGE.replace("/media/tone.ogg", public_media), content_type="text/html"
        )

    app = web.Application()
    app.router.add_get("/songs/evening", page)
    app.router.add_get("/media/tone.ogg", media)
    app.router.add_get("/empty", empty)
    app.router.add_get("/jump", jump)
    app.router.add_get("/inside", inside)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def resolver(*, allow_private: bool = True) -> YtDlpResolver:
    async def check_link(link: str) -> None:
        await check_address(parse_url(link), allow_private=allow_private)

    return YtDlpResolver(
        yt_dlp_extractor(max_entries=10, timeout=10),
        check_link=check_link,
        search_prefix=None,
        max_entries=10,
        timeout=30.0,
    )


async def test_a_page_embedding_audio_resolves_to_its_media(site: str) -> None:
    [track] = await resolver().resolve(f"{site}/songs/evening", 4)
    assert track.kind is SourceKind.WEB
    assert track.location == f"{site}/media/tone.ogg"
    assert track.page_url == f"{site}/songs/evening"
    assert track.requester_id == 4
    assert "Evening Tone" in track.title
    located = await resolver().locate(track)
    assert located.location == track.location


async def test_pages_without_media_and_private_addresses_are_refused(site: str) -> None:
    with pytest.raises(UserError, match="nothing I can play"):
        await resolver().resolve(f"{site}/empty", 1)
    with pytest.raises(UserError, match="private network"):
        await resolver(allow_private=False).resolve(f"{site}/songs/evening", 1)


async def test_a_page_redirecting_to_a_private_address_is_refused_before_the_hop(
    site: str, visits: list[str]
) -> None:
    fetched: list[str] = []

    async def localhost_is_private(link: str) -> None:
        fetched.append(link)
        if parse_url(link).host == "localhost":
            raise UserError("That link points to a private network address; it is not played.")

    checked = YtDlpResolver(
        yt_dlp_extractor(max_entries=10, timeout=10),
        check_link=localhost_is_private,
        search_prefix=None,
        max_entries=10,
        timeout=30.0,
    )
    with pytest.raises(UserError, match="private network"):
        await checked.resolve(f"{site}/jump", 1)
    assert f"{site}/jump" in fetched
    assert visits == []  # the private page was never requested
    [track] = await resolver().resolve(f"{site}/jump", 1)
    assert track.location == f"{site}/media/tone.ogg"


async def test_words_search_the_configured_site_or_nothing() -> None:
    asked: list[str] = []

    def extract(target: str, check_url: Callable[[str], None]) -> dict[str, Any]:
        asked.append(target)
        return {
            "entries": [
                {
                    "title": "Found",
                    "url": "https://media.example/a.opus",
                    "acodec": "opus",
                    "duration": 212,
                    "webpage_url": "https://x/y",
                }
            ]
        }

    async def allow(link: str) -> None:
        return None

    searching = YtDlpResolver(
        extract, check_link=allow, search_prefix="ytsearch", max_entries=5, timeout=5
    )
    [found] = await searching.resolve("never gonna", 2)
    assert asked == ["ytsearch1:never gonna"]
    assert (found.title, found.codec, found.duration) == ("Found", "opus", 212.0)
    silent = YtDlpResolver(extract, check_link=allow, search_prefix=None, max_entries=5, timeout=5)
    with pytest.raises(UserError, match="Nothing in the library"):
        await silent.resolve("never gonna", 2)


async def test_a_located_page_brings_its_own_length_not_the_one_stored() -> None:
    def extract(target: str, check_url: UrlCheck) -> dict[str, Any]:
        check_url(target)
        return {
            "title": "Ten hours",
            "url": "https://media.example/long.webm",
            "duration": 36_000,
            "acodec": "opus",
            "webpage_url": target,
        }

    async def allow(link: str) -> None:
        return None

    web_pages = YtDlpResolver(
        extract, check_link=allow, search_prefix=None, max_entries=1, timeout=5
    )
    claimed = Track(
        title="Short",
        location="https://media.example/old.webm",
        kind=SourceKind.WEB,
        duration=60,
        page_url="https://video.example/watch?v=1",
    )
    located = await web_pages.locate(claimed)
    assert (located.location, located.duration, located.codec, located.kind) == (
        "https://media.example/long.webm",
        36_000.0,
        "opus",
        SourceKind.WEB,
    )
    queue = TrackQueue(QueueLimits(max_track_seconds=600))
    queue.check_length(claimed)
    with pytest.raises(UserError, match="10:00:00 long"):
        queue.check_length(located)


@pytest.mark.usefixtures("fast")
async def test_play_a_page_end_to_end(
    room: Room,
    site: str,
    make_settings: Callable[..., Settings],
) -> None:
    stage, app, general, _, alice = room
    settings = make_settings(allow_private_addresses=True, web_search=None)
    async with stage.running(settings) as bot:
        answer = await command(alice, general, app, "play", query=f"{site}/songs/evening")
        assert "Playing **" in answer and "Evening Tone" in answer
        voice = await in_voice(stage, bot)
        playback = await voice.wait_for_playback()
        assert playback.finished and playback.error is None
        assert abs(playback.frames - 2 - 2 * FRAMES_PER_SECOND) <= 2


async def test_lookups_at_once_never_starve_the_address_checks_they_wait_on() -> None:
    """yt-dlp's threads wait on address checks that resolve names in asyncio's default pool:
    with the lookups in that pool too, as many lookups as it has threads would wait forever."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2))
    both_started = threading.Barrier(2, timeout=5)

    def extract(target: str, check_url: UrlCheck) -> dict[str, object]:
        both_started.wait()
        check_url(target)
        return {"title": target, "url": f"{target}/media.ogg", "duration": 1.0}

    async def check_link(link: str) -> None:
        await loop.getaddrinfo("localhost", 80)  # as check_address resolves a link's host

    lookups = YtDlpResolver(
        extract, check_link=check_link, search_prefix=None, max_entries=1, timeout=5
    )
    found = await asyncio.gather(*(lookups.resolve(f"https://site/{n}", 1) for n in range(2)))
    assert [track.title for [track] in found] == ["https://site/0", "https://site/1"]
