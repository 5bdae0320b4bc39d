"""Sources: the local library's scan and search, and links checked against a local server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from music_helpers import AudioFactory

from botfleet.bots.music.services.http_sources import (
    HttpLimits,
    HttpSources,
    LinkTracks,
    check_address,
    parse_m3u,
    parse_pls,
    parse_url,
)
from botfleet.bots.music.services.library import LocalLibrary
from botfleet.bots.music.services.playlists import EXPORT_FORMAT, PlaylistScope, PlaylistStore
from botfleet.bots.music.services.probe import ProbeResult, parse_probe_output, probe
from botfleet.bots.music.services.sources import SourceResolver
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.database import Database
from botfleet.errors import UserError
from botfleet.services.premium.perks import Allowance


@pytest.fixture
def library_folder(make_audio: AudioFactory, tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    make_audio("never.ogg", folder=folder, title="Never Gonna Give You Up", artist="Rick Astley")
    make_audio("beyonce.mp3", folder=folder / "pop", title="Halo", artist="Beyoncé", genre="Pop")
    make_audio("untagged tune.ogg", folder=folder, seconds=0.5, frequency=0)
    (folder / "notes.txt").write_text("not audio")
    (folder / "broken.mp3").write_bytes(b"not really an mp3")
    return folder


async def test_the_library_reads_tags_length_and_codec(library_folder: Path) -> None:
    library = LocalLibrary(library_folder)
    assert await library.scan() == 3
    [rick] = library.search("never gonna")
    assert (rick.title, rick.artist, rick.codec, rick.kind) == (
        "Never Gonna Give You Up",
        "Rick Astley",
        "opus",
        SourceKind.FILE,
    )
    assert rick.duration == pytest.approx(1.0, abs=0.05)
    assert [t.title for t in library.search("beyonce")] == ["Halo"]
    assert [t.title for t in library.search("pop")] == ["Halo"]
    assert [t.title for t in library.search("untagged")] == ["untagged tune"]
    assert library.search("astley halo") == []
    assert library.search("   ") == []


async def test_a_library_without_folder_is_empty() -> None:
    library = LocalLibrary(None)
    assert await library.scan() == 0
    assert library.search("anything") == []


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("ftp://example.com/a.mp3", "Only http"),
        ("file:///etc/passwd", "Only http"),
        ("http://", "no server"),
        ("https://user:pw@example.com/a.mp3", "password"),
        ("javascript:alert(1)", "Only http"),
    ],
)
def test_links_that_are_not_http_are_refused(link: str, reason: str) -> None:
    with pytest.raises(UserError, match=reason):
        parse_url(link)


def test_playlist_formats() -> None:
    m3u = "#EXTM3U\n#EXTINF:123,Artist - One\nhttp://a/1.mp3\n\n# comment\nrelative/2.ogg\n"
    assert parse_m3u(m3u) == [("http://a/1.mp3", "Artist - One"), ("relative/2.ogg", None)]
    pls = "[playlist]\nFile2=http://b/2\nFile1=http://b/1\nTitle1=First\nNumberOfEntries=2\n"
    assert parse_pls(pls) == [("http://b/1", "First"), ("http://b/2", None)]
    with pytest.raises(UserError, match=r"\[playlist\]"):
        parse_pls("File1=x")


class AudioServer:
    """A local HTTP server with files, a radio-like stream, playlists, redirects and a page."""

    def __init__(self, song: Path) -> None:
        self.song = song
        self.app = web.Application()
        self.app.router.add_get("/song.ogg", self.file)
        self.app.router.add_get("/live", self.live)
        self.app.router.add_get("/list.m3u", self.m3u)
        self.app.router.add_get("/radio.pls", self.pls)
        self.app.router.add_get("/moved", self.moved)
        self.app.router.add_get("/escape", self.escape)
        self.app.router.add_get("/page", self.page)
        self.app.router.add_get("/big.mp3", self.big)
        self.app.router.add_get("/stuck.mp3", self.stuck)
        self.app.router.add_get("/slow.m3u", self.slow_m3u)
        self.app.router.add_get("/stuck.m3u", self.stuck_m3u)
        self.base = ""
        self.released = asyncio.Event()

    async def file(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(self.song, headers={"Content-Type": "audio/ogg"})

    async def live(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "audio/mpeg", "icy-name": "Local FM"}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"\x00" * 1024)
        return response

    async def m3u(self, request: web.Request) -> web.Response:
        body = f"#EXTM3U\n#EXTINF:1,The Song\n{self.base}/song.ogg\n/live\n"
        return web.Response(text=body, content_type="audio/x-mpegurl")

    async def pls(self, request: web.Request) -> web.Response:
        return web.Response(
            text="[playlist]\nFile1=/live\nTitle1=Radio One\n", content_type="audio/x-scpls"
        )

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/song.ogg")

    async def escape(self, request: web.Request) -> web.Response:
        """A redirect to where FFmpeg must never be sent."""
        raise web.HTTPFound("file:///etc/passwd")

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    async def big(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x00" * 4096, content_type="audio/mpeg")

    async def stuck(self, request: web.Request) -> web.Response:
        """A server that never answers (until the test ends)."""
        await self.released.wait()
        return web.Response(status=503)

    async def slow_m3u(self, request: web.Request) -> web.Response:
        return web.Response(text="/live\n/stuck.mp3\n/song.ogg\n", content_type="audio/x-mpegurl")

    async def stuck_m3u(self, request: web.Request) -> web.Response:
        return web.Response(text="/stuck.mp3\n/live\n", content_type="audio/x-mpegurl")


@pytest.fixture
async def server(make_audio: AudioFactory) -> AsyncIterator[AudioServer]:
    audio = AudioServer(make_audio("song.ogg", seconds=2.0, title="Served", artist="Local"))
    runner = web.AppRunner(audio.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    audio.base = f"http://127.0.0.1:{port}"
    try:
        yield audio
    finally:
        audio.released.set()
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def links(session: aiohttp.ClientSession, **limits: object) -> HttpSources:
    return HttpSources(session, HttpLimits(allow_private_addresses=True, **limits))  # type: ignore[arg-type]


async def test_a_file_link_is_probed_for_its_length_codec_and_tags(
    server: AudioServer, session: aiohttp.ClientSession
) -> None:
    [track] = await links(session).resolve(f"{server.base}/song.ogg", 7)
    assert (track.title, track.artist, track.kind, track.codec, track.requester_id) == (
        "Served",
        "Local",
        SourceKind.HTTP,
        "opus",
        7,
    )
    assert track.duration == pytest.approx(2.0, abs=0.05)
    [moved] = await links(session).resolve(f"{server.base}/moved", 7)
    assert moved.location == f"{server.base}/song.ogg"


async def test_a_stream_and_playlists_become_tracks(
    server: AudioServer, session: aiohttp.ClientSession
) -> None:
    [radio] = await links(session).resolve(f"{server.base}/live", 1)
    assert (radio.title, radio.kind, radio.duration) == ("Local FM", SourceKind.STREAM, None)
    song, live = await links(session).resolve(f"{server.base}/list.m3u", 1)
    assert (song.title, song.kind, live.kind) == ("The Song", SourceKind.HTTP, SourceKind.STREAM)
    [named] = await links(session).resolve(f"{server.base}/radio.pls", 1)
    assert named.title == "Radio One"
    with pytest.raises(UserError, match="2 entries; the limit is 1"):
        await links(session, max_playlist_entries=1).resolve(f"{server.base}/list.m3u", 1)


async def test_a_playlist_link_stops_at_its_deadline_and_says_what_was_added(
    server: AudioServer, session: aiohttp.ClientSession
) -> None:
    slow = links(session, timeout=60.0, playlist_deadline=2.0)
    tracks = await slow.resolve(f"{server.base}/slow.m3u", 1)
    assert [track.kind for track in tracks] == [SourceKind.STREAM]
    assert isinstance(tracks, LinkTracks)
    assert tracks.note == (
        "Only 1 of the playlist's 3 entries were added: "
        "checking the others would have taken longer than 2 s."
    )
    with pytest.raises(UserError, match="none of its 2 entries could be checked within 2 s"):
        await slow.resolve(f"{server.base}/stuck.m3u", 1)
    complete = await links(session).resolve(f"{server.base}/list.m3u", 1)
    assert isinstance(complete, LinkTracks)
    assert (len(complete), complete.note) == (2, None)


async def test_pages_big_files_and_private_addresses_are_refused(
    server: AudioServer, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(UserError, match="not audio"):
        await links(session).resolve(f"{server.base}/page", 1)
    with pytest.raises(UserError, match="4 KiB; the limit is 1 KiB"):
        await links(session, max_file_bytes=1024).resolve(f"{server.base}/big.mp3", 1)
    with pytest.raises(UserError, match="answered 404"):
        await links(session).resolve(f"{server.base}/missing.mp3", 1)
    strict = HttpSources(session, HttpLimits())
    with pytest.raises(UserError, match="private network"):
        await strict.resolve(f"{server.base}/song.ogg", 1)


async def test_the_resolver_searches_the_library_and_opens_links(
    library_folder: Path, server: AudioServer, session: aiohttp.ClientSession
) -> None:
    library = LocalLibrary(library_folder)
    await library.scan()
    resolver = SourceResolver(library, links(session))
    [found] = await resolver.resolve("halo", 5)
    assert (found.title, found.requester_id) == ("Halo", 5)
    [linked] = await resolver.resolve(f"<{server.base}/song.ogg>", 5)
    assert linked.title == "Served"
    with pytest.raises(UserError, match="Nothing in the library"):
        await resolver.resolve("no such song", 5)
    with pytest.raises(UserError, match="what to play"):
        await resolver.resolve("  ", 5)


def test_tracks_round_trip_and_refuse_malformed_json() -> None:
    original = Track(
        title="t",
        location="/x.ogg",
        kind=SourceKind.FILE,
        duration=3.5,
        artist="a",
        requester_id=9,
        codec="opus",
    )
    assert Track.from_json(original.to_json()) == original
    for bad, reason in [
        ([], "object"),
        ({"title": "t"}, "no location"),
        ({"title": "t", "location": "x", "kind": "ftp"}, "unknown kind"),
        ({"title": "t", "location": "x", "kind": "file", "duration": -1}, "invalid length"),
        ({"title": "t", "location": "x", "kind": "file", "artist": 5}, "invalid artist"),
    ]:
        with pytest.raises(UserError, match=reason):
            Track.from_json(bad)


async def test_ffprobe_reads_audio_and_refuses_what_is_not(
    make_audio: AudioFactory, tmp_path: Path
) -> None:
    info = await probe(str(make_audio("tagged.ogg", seconds=1.5, title="T", artist="A")))
    assert (info.codec, info.title, info.artist) == ("opus", "T", "A")
    assert info.duration == pytest.approx(1.5, abs=0.05)
    notes = tmp_path / "notes.txt"
    notes.write_text("just words")
    with pytest.raises(UserError, match="FFmpeg cannot read"):
        await probe(str(notes))
    video_only = b'{"streams": [{"codec_type": "video", "codec_name": "h264"}], "format": {}}'
    with pytest.raises(UserError, match="no audio"):
        parse_probe_output(video_only)


async def test_a_host_without_ffprobe_is_told_plainly(
    make_audio: AudioFactory, tmp_path: Path
) -> None:
    song = str(make_audio("song.ogg", seconds=0.5))
    with pytest.raises(UserError, match=r"its host has no ffprobe\); tracks of its library"):
        await probe(song, executable=str(tmp_path / "ffprobe"))


class Importer:
    """A playlist store importing links through :class:`HttpSources`, probing for real."""

    def __init__(
        self, database: Database, links: HttpSources, *, measure_deadline: float = 300.0
    ) -> None:
        self.probed: list[str] = []
        self.store = PlaylistStore(
            database,
            max_playlists=Allowance(5, 5),
            library_locations=set,
            check_link=self.check_link,
            prober=self.probe,
            follow_link=links.final_location,
            measure_deadline=measure_deadline,
        )

    @staticmethod
    async def check_link(link: str) -> None:
        await check_address(parse_url(link), allow_private=True)

    async def probe(self, location: str) -> ProbeResult:
        self.probed.append(location)
        return await probe(location)

    async def import_links(self, *locations: str, kind: str = "http") -> list[Track]:
        tracks = [{"title": f"T{n}", "location": x, "kind": kind} for n, x in enumerate(locations)]
        document = {"format": EXPORT_FORMAT, "name": "Links", "tracks": tracks}
        scope = PlaylistScope.member(1)
        saved = await self.store.import_file(scope, json.dumps(document).encode(), created_by=1)
        return list(saved.tracks)

    async def names(self) -> list[str]:
        return await self.store.names(PlaylistScope.member(1))


async def test_an_imported_link_is_probed_where_its_checked_redirects_end(
    server: AudioServer, session: aiohttp.ClientSession, database: Database
) -> None:
    importer = Importer(database, links(session))
    [moved] = await importer.import_links(f"{server.base}/moved", kind="stream")
    assert importer.probed == [f"{server.base}/song.ogg"]
    assert (moved.location, moved.codec) == (f"{server.base}/song.ogg", "opus")
    assert moved.kind is SourceKind.HTTP  # a file with an end, not a stream the limit lets through
    assert moved.duration == pytest.approx(2.0, abs=0.05)


async def test_an_imported_link_redirecting_off_the_rules_never_reaches_ffprobe(
    server: AudioServer, session: aiohttp.ClientSession, database: Database
) -> None:
    importer = Importer(database, links(session))
    for kind in ("http", "stream"):
        with pytest.raises(UserError, match="“T0” cannot be played: Only http"):
            await importer.import_links(f"{server.base}/escape", kind=kind)
    assert importer.probed == []
    assert await importer.names() == []


async def test_an_import_gives_up_at_its_deadline_and_saves_nothing(
    server: AudioServer, session: aiohttp.ClientSession, database: Database
) -> None:
    importer = Importer(database, links(session, timeout=60.0), measure_deadline=1.0)
    stuck = [f"{server.base}/stuck.mp3"] * 6
    with pytest.raises(UserError, match="7 tracks of that playlist would take longer than 1 s"):
        await importer.import_links(f"{server.base}/song.ogg", *stuck)
    assert await importer.names() == []
