"""One way in for every source: a member's query or link becomes tracks.

Links go to :class:`HttpSources` (and to the yt-dlp resolver, when installed, for pages that
are not audio themselves); words search the local library first, then the web resolver.
"""

from __future__ import annotations

from typing import Protocol

from botfleet.bots.music.services.http_sources import HttpSources, NotAudioError
from botfleet.bots.music.services.library import LocalLibrary
from botfleet.bots.music.services.tracks import Track
from botfleet.errors import UserError

MAX_QUERY_LENGTH = 300


class Resolver(Protocol):
    """Anything that turns a query or link into tracks for a member."""

    async def resolve(self, query: str, requester_id: int) -> list[Track]:
        """The tracks to queue; a :class:`UserError` says why there are none."""
        ...


def is_link(query: str) -> bool:
    """Whether a member gave a link rather than words."""
    return "://" in query or query.lower().startswith("www.")


class SourceResolver:
    """The resolver the player uses: library, links and (optionally) the web resolver."""

    def __init__(
        self, library: LocalLibrary, links: HttpSources, web: Resolver | None = None
    ) -> None:
        self.library = library
        self.links = links
        self.web = web

    async def resolve(self, query: str, requester_id: int) -> list[Track]:
        """The tracks a member's query plays."""
        cleaned = query.strip()
        if not cleaned:
            raise UserError("Tell me what to play: words to search, or a link.")
        if len(cleaned) > MAX_QUERY_LENGTH:
            raise UserError(f"Keep the search under {MAX_QUERY_LENGTH} characters.")
        if is_link(cleaned):
            return await self._resolve_link(cleaned, requester_id)
        found = self.library.search(cleaned, limit=1)
        if found:
            return [found[0].requested_by(requester_id)]
        if self.web is not None:
            return await self.web.resolve(cleaned, requester_id)
        raise UserError(f"Nothing in the library matches {cleaned!r}.")

    async def _resolve_link(self, link: str, requester_id: int) -> list[Track]:
        if self.web is None:
            return await self.links.resolve(link, requester_id)
        try:
            return await self.links.resolve(link, requester_id)
        except NotAudioError:
            return await self.web.resolve(link, requester_id)
