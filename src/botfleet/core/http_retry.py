"""Retries the REST requests discord.py gives up on, so an outage or a 429 storm delays an
answer and never loses it.

discord.py retries a 500, 502, 504 or 524 itself and waits out each 429, but only five times
in all for one request: a storm of five 429s in a row (a busy channel under a global limit)
ends in an ``HTTPException`` and the message a reminder or a command was sending is lost. It
also raises at once on a 503 (Service Unavailable, what Discord's edge answers while the API
behind it restarts). The bot's REST client is given more rounds for both: after a 429 storm at
once (discord.py already waited out every ``retry_after``), after a 503 with discord.py's own
5xx backoff. A 429 without Discord's ``Via`` header is Cloudflare banning the address, and
retrying would prolong the ban: it is raised as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord.http import HTTPClient, Route

log = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = 503
TOO_MANY_REQUESTS = 429
RETRIES = 4
"""Rounds after the first, each of which discord.py itself tries up to five times."""


def backoff(attempt: int) -> float:
    """Seconds before the 503 retry ``attempt`` (0-based): discord.py's 5xx backoff, 1, 3, 5, 7."""
    return 1.0 + attempt * 2


def _delay_before_retry(error: discord.HTTPException, attempt: int) -> float | None:
    """How long to wait before retrying the request ``error`` ended, or None not to retry."""
    if error.status == SERVICE_UNAVAILABLE:
        return backoff(attempt)
    if error.status == TOO_MANY_REQUESTS and error.response.headers.get("Via"):
        return 0.0
    return None


def retry_dropped_requests(
    http: HTTPClient, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> None:
    """Make ``http`` retry a request discord.py dropped after a 503 or a storm of 429s."""
    request = http.request

    async def request_until_answered(
        route: Route,
        *,
        files: Sequence[discord.File] | None = None,
        form: Any = None,
        **kwargs: Any,
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await request(route, files=files, form=form, **kwargs)
            except discord.HTTPException as error:
                delay = _delay_before_retry(error, attempt)
                if delay is None or attempt == RETRIES:
                    raise
                status = error.status
            log.warning(
                "Discord answered %s %s with %s; retrying in %.0fs",
                route.method,
                route.path,
                status,
                delay,
            )
            for file in files or ():
                file.reset(seek=True)
            await sleep(delay)
            attempt += 1

    setattr(http, "request", request_until_answered)  # noqa: B010  (a method of discord.py's client)
