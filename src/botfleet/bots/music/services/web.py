"""The optional yt-dlp resolver (extra ``music-web``): pages of the sites yt-dlp supports.

yt-dlp is synchronous and does network I/O, so every extraction runs in a worker thread with a
deadline. The page a member links is checked by the link rules first, every request yt-dlp
makes and every hop of its redirects is checked from its thread before it is fetched, and so
is the media URL yt-dlp finds. Media URLs of many sites expire, so a track keeps its page and
is located again just before it plays (:meth:`YtDlpResolver.locate`). Words search the site named by
``search_prefix`` (yt-dlp's ``ytsearch``, ``scsearch``...) when the operator allows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Final

from botfleet.bots.music.services.sources import is_link
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.errors import UserError

EXTRACTION_THREADS: Final = 4
"""yt-dlp lookups at once; more wait their turn (within the same time limit)."""

log = logging.getLogger(__name__)

UrlCheck = Callable[[str], None]
"""Raises a :class:`UserError` when a URL may not be fetched; called from yt-dlp's thread."""
Extractor = Callable[[str, UrlCheck], dict[str, Any]]
LinkCheck = Callable[[str], Coroutine[Any, Any, None]]


class _QuietLogger:
    """yt-dlp's messages go to our log at debug level (its errors come back as exceptions)."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.debug("yt-dlp warning: %s", message)

    def error(self, message: str) -> None:
        log.debug("yt-dlp error: %s", message)


def yt_dlp_extractor(*, max_entries: int, timeout: float) -> Extractor:
    """yt-dlp's ``extract_info`` without downloading, the best audio format first.

    yt-dlp (about 14 MB) is imported by the first link played, in its worker thread, not by
    an idle bot.
    """
    options: dict[str, Any] = {
        "format": "bestaudio/best",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "skip_download": True,
        "playlistend": max_entries,
        "socket_timeout": timeout,
        "logger": _QuietLogger(),
        "cachedir": False,
    }

    def extract(target: str, check_url: UrlCheck) -> dict[str, Any]:
        import yt_dlp  # noqa: PLC0415  (the optional extra, at the first link)
        from yt_dlp.networking import _urllib  # noqa: PLC0415
        from yt_dlp.networking.exceptions import RequestError  # noqa: PLC0415

        class RefusedHopError(RequestError):  # type: ignore[misc]
            """A redirect hop the link rules refused (yt-dlp passes on only its own errors)."""

            def __init__(self, refusal: UserError) -> None:
                super().__init__(str(refusal))
                self.refusal = refusal

        class CheckedRedirects(_urllib.RedirectHandler):  # type: ignore[misc]
            """Checks where a redirect leads before urllib requests it."""

            handler_order = _urllib.RedirectHandler.handler_order - 1
            """Asked before yt-dlp's own handler, which then never sees a redirect."""

            def redirect_request(  # noqa: PLR0917  (urllib's signature)
                self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
            ) -> Any:
                try:
                    check_url(newurl)
                except UserError as refusal:
                    fp.close()  # the redirect's own answer: urllib closes it only when it follows
                    raise RefusedHopError(refusal) from None
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        class CheckedUrllibRH(_urllib.UrllibRH):  # type: ignore[misc]
            """yt-dlp's urllib handler, with every redirect hop checked before it is fetched."""

            def _create_instance(self, *args: Any, **kwargs: Any) -> Any:
                opener = super()._create_instance(*args, **kwargs)
                opener.add_handler(CheckedRedirects())
                return opener

        class CheckedDownloader(yt_dlp.YoutubeDL):  # type: ignore[misc]
            """Every request yt-dlp makes, and every hop of its redirects, passes ``check_url``.

            Its requests all go through :class:`CheckedUrllibRH`: the other handlers (requests,
            curl_cffi) follow redirects without a hook to check a hop before fetching it.
            """

            def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
                return super().build_request_director([CheckedUrllibRH], preferences)

            def urlopen(self, request: Any) -> Any:
                check_url(request if isinstance(request, str) else request.url)
                try:
                    return super().urlopen(request)
                except RefusedHopError as refused:
                    raise refused.refusal from None

        with CheckedDownloader(options) as downloader:
            info = downloader.extract_info(target, download=False)
            return dict(downloader.sanitize_info(info))

    return extract


def _entries(info: dict[str, Any]) -> list[dict[str, Any]]:
    entries = info.get("entries")
    if entries is None:
        return [info]
    return [entry for entry in entries if isinstance(entry, dict)]


def _media_url(entry: dict[str, Any]) -> str | None:
    url = entry.get("url")
    if isinstance(url, str):
        return url
    formats = [f for f in entry.get("requested_formats") or [] if isinstance(f.get("url"), str)]
    return formats[0]["url"] if formats else None


class YtDlpResolver:
    """Resolves pages and searches with yt-dlp."""

    def __init__(
        self,
        extract: Extractor,
        *,
        check_link: LinkCheck,
        search_prefix: str | None,
        max_entries: int,
        timeout: float,
    ) -> None:
        self.extract = extract
        self.check_link = check_link
        self.search_prefix = search_prefix
        self.max_entries = max_entries
        self.timeout = timeout
        self._threads = ThreadPoolExecutor(
            max_workers=EXTRACTION_THREADS, thread_name_prefix="yt-dlp"
        )
        """yt-dlp's own threads: each waits on address checks that resolve names in asyncio's
        default pool, so extractions there could take every thread those checks need."""

    async def _info(self, target: str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()

        def check_url(url: str) -> None:
            check = asyncio.run_coroutine_threadsafe(self.check_link(url), loop)
            check.result(timeout=self.timeout)

        try:
            async with asyncio.timeout(self.timeout):
                return await loop.run_in_executor(self._threads, self.extract, target, check_url)
        except TimeoutError:
            raise UserError("That site took too long to answer; try again later.") from None
        except UserError:
            raise
        except Exception as error:  # yt-dlp's DownloadError and the like: the site said no
            log.info("yt-dlp could not read %s: %s", target, error)
            raise UserError("I found nothing I can play there.") from None

    async def resolve(self, query: str, requester_id: int) -> list[Track]:
        """Tracks of a page (or a playlist page), or the first search result."""
        if is_link(query):
            await self.check_link(query)
            target = query
        elif self.search_prefix:
            target = f"{self.search_prefix}1:{query}"
        else:
            raise UserError(f"Nothing in the library matches {query!r}.")
        entries = _entries(await self._info(target))[: self.max_entries]
        tracks = [await self._track(entry, requester_id) for entry in entries]
        if not tracks:
            raise UserError("I found nothing I can play there.")
        return tracks

    async def _track(self, entry: dict[str, Any], requester_id: int) -> Track:
        media = _media_url(entry)
        if media is None:
            raise UserError("I found nothing I can play there.")
        await self.check_link(media)
        duration = entry.get("duration")
        page = entry.get("webpage_url") or entry.get("original_url")
        return Track(
            title=str(entry.get("track") or entry.get("title") or "Untitled"),
            location=media,
            kind=SourceKind.STREAM if entry.get("is_live") else SourceKind.WEB,
            duration=float(duration) if isinstance(duration, int | float) else None,
            artist=entry.get("artist") or entry.get("uploader"),
            requester_id=requester_id,
            page_url=page if isinstance(page, str) else None,
            codec=entry.get("acodec") if entry.get("acodec") == "opus" else None,
        )

    async def locate(self, track: Track) -> Track:
        """The track as its page gives it now: a fresh media URL (media URLs expire), and the
        kind, length and codec yt-dlp finds, never those stored with the track (an imported
        file may claim any length). The player checks the length limit on what this returns.
        """
        if track.kind is not SourceKind.WEB or not track.page_url:
            return track
        fresh = (await self.resolve(track.page_url, track.requester_id))[0]
        return replace(
            track,
            location=fresh.location,
            kind=fresh.kind,
            duration=fresh.duration,
            codec=fresh.codec,
        )
