"""Retries the REST requests discord.py gives up on, so an outage or a 429 storm delays an
answer and never loses it, and never repeats a request that may already have been applied.

A 429 means Discord did not apply the request: it is safe to repeat for every method. discord.py
waits out each ``retry_after``, but only five times in all for one request, so a storm of five
429s in a row (a busy channel under a global limit) ends in an ``HTTPException``; the bot's REST
client gives it more rounds. A 429 without Discord's ``Via`` header is Cloudflare banning the
address, and retrying would prolong the ban: it is raised as before.

A 5xx is different: Discord may have applied the request before its edge failed to answer, so a
repeat could send a message twice or create a second rule. Only requests that Discord applies
once however often they arrive are repeated after one (see ``repeatable``); discord.py's own
retries of a 500, 502, 504 or 524 (its REST client and its webhook and interaction adapter alike)
are stopped for the others, which raise at once. No request is retried once ``RETRY_BUDGET``
seconds have passed since its first try.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, json_or_text

log = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429
SERVER_ERROR = 500
RETRIES = 4
"""Rounds after the first, each of which discord.py itself tries up to five times."""
RETRY_BUDGET = 60.0
"""Seconds after a request's first try past which it is not tried again."""
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
"""Methods Discord defines to give the same result however often a request arrives."""
APPLIED_ONCE_POST_PATHS = ("/users/@me/channels",)
"""POSTs Discord answers with what exists: opening a DM twice gives the same channel."""

_repeatable: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "botfleet_request_repeatable", default=None
)
"""Whether the request the current task is making may be repeated, when its caller knows."""


def backoff(attempt: int) -> float:
    """Seconds before the 5xx retry ``attempt`` (0-based): discord.py's 5xx backoff, 1, 3, 5, 7."""
    return 1.0 + attempt * 2


def _is_interaction_callback(path: str) -> bool:
    """Discord acknowledges an interaction once: a second callback is refused (40060)."""
    parts = path.rstrip("/").split("/")
    return len(parts) >= 4 and parts[-4] == "interactions" and parts[-1] == "callback"


def _enforces_nonce(payload: object) -> bool:
    """A message create with ``enforce_nonce``: Discord returns the message a repeat made."""
    return isinstance(payload, Mapping) and bool(
        payload.get("enforce_nonce") and payload.get("nonce")
    )


def _form_payload(form: Iterable[Mapping[str, Any]] | None) -> object:
    """The JSON part of a multipart request (``payload_json``), or None."""
    for field in form or ():
        if field.get("name") == "payload_json":
            try:
                return json.loads(field.get("value", ""))
            except (TypeError, ValueError):
                return None
    return None


def repeatable(method: str, path: str, payload: object = None) -> bool:
    """Whether Discord applies a request once however often it arrives, so a 5xx may be retried.

    GET, PUT, PATCH and DELETE by definition; an interaction callback (a repeat is refused as
    already acknowledged); a message created with a nonce Discord enforces; opening a DM. Any
    other POST (a followup, a rule, a channel, a role) could be applied twice.
    """
    if method.upper() in REPEATABLE_METHODS or _is_interaction_callback(path):
        return True
    return path.endswith(APPLIED_ONCE_POST_PATHS) or _enforces_nonce(payload)


async def _stop_repeats_of_applied_requests(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceRequestEndParams,
) -> None:
    """Raise at once on a 5xx to a request that must not be repeated, before discord.py retries."""
    response = params.response
    if response.status < SERVER_ERROR:
        return
    known = _repeatable.get()
    if known is None:
        known = repeatable(params.method, params.url.path)
    if not known:
        raise discord.DiscordServerError(response, await json_or_text(response))


def _delay_before_retry(error: discord.HTTPException, attempt: int, safe: bool) -> float | None:
    """How long to wait before retrying the request ``error`` ended, or None not to retry."""
    if error.status >= SERVER_ERROR and safe:
        return backoff(attempt)
    if error.status == TOO_MANY_REQUESTS and error.response.headers.get("Via"):
        return 0.0
    return None


def retry_dropped_requests(
    http: HTTPClient,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Make ``http`` retry what discord.py dropped, and repeat nothing Discord may have applied.

    Call it before the client logs in: the 5xx guard rides on the session made at login.
    """
    trace = http.http_trace or aiohttp.TraceConfig()
    trace.on_request_end.append(_stop_repeats_of_applied_requests)
    http.http_trace = trace
    request = http.request

    async def request_until_answered(
        route: Route,
        *,
        files: Sequence[discord.File] | None = None,
        form: Any = None,
        **kwargs: Any,
    ) -> Any:
        safe = repeatable(route.method, route.path, kwargs.get("json") or _form_payload(form))
        token = _repeatable.set(safe)
        try:
            return await _try_within_budget(route, files, form, kwargs, safe)
        finally:
            _repeatable.reset(token)

    async def _try_within_budget(
        route: Route,
        files: Sequence[discord.File] | None,
        form: Any,
        kwargs: dict[str, Any],
        safe: bool,
    ) -> Any:
        deadline = clock() + RETRY_BUDGET
        attempt = 0
        while True:
            try:
                return await request(route, files=files, form=form, **kwargs)
            except discord.HTTPException as error:
                delay = _delay_before_retry(error, attempt, safe)
                if delay is None or attempt == RETRIES or clock() + delay > deadline:
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
