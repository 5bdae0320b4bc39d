"""Audio a member links to: checked before FFmpeg ever opens it.

Only http(s) URLs to public addresses are followed (private and loopback ones only when the
operator allows them, for tests); redirects are followed by hand so each hop is checked; the
server must say it sends audio and, for a file, no more than the size limit. ``.m3u`` and
``.pls`` playlists are read (bounded) and each entry is checked the same way. A response
without a length, or with ICY headers, is a live stream.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import unquote

import aiohttp
from yarl import URL

from botfleet.bots.music.services.probe import ProbeResult, probe
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.errors import UserError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_PLAYLIST_BYTES = 64 * 1024
MAX_URL_LENGTH = 2000
PLAYLIST_TYPES = frozenset(
    {"audio/x-mpegurl", "audio/mpegurl", "audio/x-scpls", "application/pls+xml"}
)
AUDIO_TYPES = frozenset({"application/ogg", "application/octet-stream"})
HLS_MARKER = "#EXT-X-"

Prober = Callable[[str], Awaitable[ProbeResult]]


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What the operator accepts from links."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_playlist_entries: int = 50
    allow_private_addresses: bool = False
    """Only for tests and trusted networks: lets members make the bot fetch local addresses."""
    timeout: float = 15.0
    playlist_deadline: float = 300.0
    """Seconds all the entries of one playlist link have to be checked (the interaction's
    token lasts 15 minutes); the entries checked by then are queued."""


class LinkTracks(list[Track]):
    """The tracks of a link, with what to tell the member when entries were left out."""

    def __init__(self, tracks: list[Track], note: str | None = None) -> None:
        super().__init__(tracks)
        self.note = note


class NotAudioError(UserError):
    """The link answers, but with a page or a document rather than audio."""


def parse_url(text: str) -> URL:
    """A member's link as a URL, or a friendly refusal."""
    cleaned = text.strip().strip("<>")
    if len(cleaned) > MAX_URL_LENGTH:
        raise UserError("That link is too long.")
    try:
        url = URL(cleaned)
    except ValueError:
        raise UserError("That is not a link I can open.") from None
    if url.scheme not in {"http", "https"}:
        raise UserError("Only http:// and https:// links can be played.")
    if not url.host:
        raise UserError("That link has no server name.")
    if url.user or url.password:
        raise UserError("Links with a user name or password are not played.")
    return url


async def check_address(url: URL, *, allow_private: bool) -> None:
    """Refuse a host that resolves to a private, loopback or otherwise non-public address."""
    if allow_private:
        return
    host = url.host or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, url.port, type=socket.SOCK_STREAM
        )
    except socket.gaierror:
        raise UserError(f"I cannot find the server {host}.") from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global or address.is_multicast:
            log.warning(
                "A member's link to %s (%s) was refused: not a public address", host, address
            )
            raise UserError("That link points to a private network address; it is not played.")


async def get_checked(
    session: aiohttp.ClientSession,
    url: URL,
    *,
    allow_private: bool,
    headers: dict[str, str] | None = None,
    first_checked: bool = False,
) -> tuple[aiohttp.ClientResponse, URL]:
    """GET ``url`` following its redirects by hand: every hop must pass :func:`check_address`.

    ``first_checked`` skips the check of ``url`` itself (it passed when the track was queued).
    Returns the first answer that is not a redirect and its URL; a network failure raises
    :class:`aiohttp.ClientError`.
    """
    for hop in range(MAX_REDIRECTS + 1):
        if hop or not first_checked:
            await check_address(url, allow_private=allow_private)
        response = await session.get(url, headers=headers, allow_redirects=False)
        if response.status in REDIRECT_STATUSES and "Location" in response.headers:
            response.release()
            url = parse_url(str(url.join(URL(response.headers["Location"]))))
            continue
        return response, url
    raise UserError("That link redirects too many times.")


def parse_m3u(text: str) -> list[tuple[str, str | None]]:
    """(location, title) of each entry of an ``.m3u`` playlist."""
    entries: list[tuple[str, str | None]] = []
    title: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            title = line.partition(",")[2].strip() or None
        elif line and not line.startswith("#"):
            entries.append((line, title))
            title = None
    return entries


def parse_pls(text: str) -> list[tuple[str, str | None]]:
    """(location, title) of each entry of a ``.pls`` playlist, in its numbered order.

    configparser is imported here, by the first ``.pls`` link: most bots never read one.
    """
    import configparser  # noqa: PLC0415

    if "[" not in text:
        raise UserError("That .pls playlist has no [playlist] section.")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        raise UserError("That .pls playlist is malformed.") from None
    section = next((name for name in parser.sections() if name.lower() == "playlist"), None)
    if section is None:
        raise UserError("That .pls playlist has no [playlist] section.")
    items = parser[section]
    numbers = sorted(int(key[4:]) for key in items if key.startswith("file") and key[4:].isdigit())
    return [(items[f"file{n}"].strip(), items.get(f"title{n}") or None) for n in numbers]


def _size(count: int) -> str:
    """A byte count in the unit that reads best."""
    return f"{count / 2**20:.0f} MiB" if count >= 2**20 else f"{count / 1024:.0f} KiB"


def _title_from(url: URL) -> str:
    name = PurePosixPath(unquote(url.path)).stem
    return name or url.host or str(url)


class HttpSources:
    """Resolves links to tracks; ``session`` is the bot's shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        limits: HttpLimits | None = None,
        *,
        prober: Prober = probe,
    ) -> None:
        self.session = session
        self.limits = limits or HttpLimits()
        self.prober = prober

    async def resolve(self, link: str, requester_id: int) -> list[Track]:
        """The track (or the tracks of the playlist) a link plays."""
        url = parse_url(link)
        response, final_url = await self._open_in_time(url)
        async with response:
            kind = response.content_type.lower()
            if kind in PLAYLIST_TYPES or final_url.path.lower().endswith((".m3u", ".pls")):
                body = await response.content.read(MAX_PLAYLIST_BYTES + 1)
                text = body[:MAX_PLAYLIST_BYTES].decode("utf-8", errors="replace")
                if HLS_MARKER not in text:
                    return await self._playlist(final_url, text, requester_id)
            return [await self._media(final_url, response, requester_id)]

    async def final_location(self, link: str) -> str:
        """Where a link's redirects end, every hop checked as :meth:`resolve` checks them.

        ffprobe and FFmpeg follow redirects without asking: what they open must be the end.
        """
        response, final_url = await self._open_in_time(parse_url(link))
        response.release()
        return str(final_url)

    async def _open_in_time(self, url: URL) -> tuple[aiohttp.ClientResponse, URL]:
        """:meth:`_open` within the link timeout; a server too slow is the member's answer."""
        try:
            async with asyncio.timeout(self.limits.timeout):
                return await self._open(url)
        except TimeoutError:
            log.info("link %s did not answer within %.0f s", url, self.limits.timeout)
            raise UserError("That server took too long to answer; try again later.") from None

    async def _open(self, url: URL) -> tuple[aiohttp.ClientResponse, URL]:
        """GET the URL, checking the address of every hop of its redirects."""
        try:
            response, url = await get_checked(
                self.session, url, allow_private=self.limits.allow_private_addresses
            )
        except aiohttp.ClientError as error:
            log.info("Opening a member's link failed: %s", error)
            raise UserError("I could not reach that server.") from None
        if response.status >= 400:
            response.release()
            raise UserError(f"The server answered {response.status}; nothing to play.")
        return response, url

    async def _media(self, url: URL, response: aiohttp.ClientResponse, requester_id: int) -> Track:
        content_type = response.content_type.lower()
        is_hls = content_type in {"application/vnd.apple.mpegurl", "application/x-mpegurl"}
        if not (
            content_type.startswith(("audio/", "video/")) or content_type in AUDIO_TYPES or is_hls
        ):
            raise NotAudioError(f"That link is not audio (the server sends {content_type}).")
        length = response.content_length
        if length is not None and length > self.limits.max_file_bytes:
            raise UserError(
                f"That file is {_size(length)}; the limit is {_size(self.limits.max_file_bytes)}."
            )
        icy_name = response.headers.get("icy-name", "").strip()
        if length is None or icy_name or is_hls:
            return Track(
                title=icy_name or _title_from(url),
                location=str(url),
                kind=SourceKind.STREAM,
                requester_id=requester_id,
            )
        info = await self.prober(str(url))
        return Track(
            title=info.title or _title_from(url),
            location=str(url),
            kind=SourceKind.HTTP,
            duration=info.duration,
            artist=info.artist,
            requester_id=requester_id,
            codec=info.codec,
        )

    async def _playlist(self, url: URL, text: str, requester_id: int) -> list[Track]:
        is_pls = "[playlist]" in text.lower()
        entries = parse_pls(text) if is_pls else parse_m3u(text)
        if not entries:
            raise UserError("That playlist is empty.")
        if len(entries) > self.limits.max_playlist_entries:
            raise UserError(
                f"That playlist has {len(entries)} entries; the limit is "
                f"{self.limits.max_playlist_entries}."
            )
        tracks: list[Track] = []
        deadline = self.limits.playlist_deadline
        try:
            async with asyncio.timeout(deadline):
                for location, title in entries:
                    entry_url = parse_url(str(url.join(URL(location))))
                    response, final_url = await self._open_in_time(entry_url)
                    async with response:
                        track = await self._media(final_url, response, requester_id)
                    tracks.append(track if title is None else replace(track, title=title))
        except TimeoutError:
            log.info(
                "playlist %s: %d of %d entries checked within %.0f s",
                url,
                len(tracks),
                len(entries),
                deadline,
            )
            if not tracks:
                raise UserError(
                    f"The playlist's servers were too slow: none of its {len(entries)} entries "
                    f"could be checked within {deadline:.0f} s."
                ) from None
            return LinkTracks(
                tracks,
                f"Only {len(tracks)} of the playlist's {len(entries)} entries were added: "
                f"checking the others would have taken longer than {deadline:.0f} s.",
            )
        return LinkTracks(tracks)
