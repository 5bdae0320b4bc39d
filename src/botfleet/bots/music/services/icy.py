"""Now-playing titles of internet radios (ICY metadata, as SHOUTcast and Icecast send them).

A radio that supports it answers a request carrying ``Icy-MetaData: 1`` with an
``icy-metaint`` header: after every ``metaint`` bytes of audio comes one length byte (times 16)
and that many bytes of ``StreamTitle='...';`` text. FFmpeg plays the audio; this reads the
titles from a connection of its own, skipping the audio, and reports each new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable

import aiohttp
from yarl import URL

from botfleet.bots.music.services.http_sources import get_checked
from botfleet.errors import UserError

log = logging.getLogger(__name__)

MAX_METAINT = 1 << 20
"""A larger interval is not a radio we can follow (and would be a lot to skip)."""
_TITLE = re.compile(rb"StreamTitle='(.*?)';", re.DOTALL)

TitleCallback = Callable[[str], Awaitable[None]]


def parse_icy_metadata(block: bytes) -> str | None:
    """The ``StreamTitle`` of one metadata block, or None when it has none."""
    match = _TITLE.search(block.rstrip(b"\0"))
    if match is None:
        return None
    title = match.group(1).decode("utf-8", errors="replace").strip()
    return title or None


async def follow_icy_titles(
    session: aiohttp.ClientSession,
    url: str,
    on_title: TitleCallback,
    *,
    allow_private: bool = False,
) -> None:
    """Report each new title of the radio at ``url`` until the stream ends (or is cancelled).

    ``url`` passed the link rules when the track was queued; a redirect is followed only to
    an address that passes them too (``allow_private`` as the operator set it). Returns at
    once when the server sends no metadata interval, or redirects where links may not go.
    """
    try:
        response, _ = await get_checked(
            session,
            URL(url),
            allow_private=allow_private,
            headers={"Icy-MetaData": "1"},
            first_checked=True,
        )
    except UserError as refusal:
        log.warning("The titles of the radio %s are not followed: %s", url, refusal)
        return
    async with response:
        try:
            interval = int(response.headers.get("icy-metaint", "0"))
        except ValueError:
            return
        if not 0 < interval <= MAX_METAINT:
            return
        last: str | None = None
        stream = response.content
        with contextlib.suppress(asyncio.IncompleteReadError):  # the stream ended
            while True:
                await stream.readexactly(interval)
                length = (await stream.readexactly(1))[0] * 16
                if not length:
                    continue
                title = parse_icy_metadata(await stream.readexactly(length))
                if title is not None and title != last:
                    last = title
                    await on_title(title)
