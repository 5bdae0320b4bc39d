"""Per-client budgets of requests in the fleet's shared sliding-window limiter.

The JSON API and the dashboard's public leaderboard pages answer anyone, each request a few
database queries: a budget per client keeps a web process reached without nginx in front
from being an unlimited source of them. A client is the logged-in member, else the address a
proxy of ``web.trusted_proxies`` reports in ``X-Real-IP``, else the peer's; with Redis every
web process spends one budget per client.
"""

from __future__ import annotations

import logging
import math
from ipaddress import ip_address

from aiohttp import web

from botfleet.services.rate_limit import RateLimitRule
from botfleet.web.keys import SETTINGS_KEY, WEB_LIMITER_KEY
from botfleet.web.sessions import current_user_id

log = logging.getLogger(__name__)


def client_of(request: web.Request) -> str:
    """Who a request counts against: the member, else the client's address."""
    user_id = current_user_id(request)
    if user_id is not None:
        return f"user:{user_id}"
    address = request.remote or "unknown"
    forwarded = request.headers.get("X-Real-IP", "").strip()
    if forwarded and _is_trusted_proxy(request, address):
        try:
            return f"address:{ip_address(forwarded)}"
        except ValueError:
            log.warning("the proxy at %s sent a malformed X-Real-IP", address)
    return f"address:{address}"


def _is_trusted_proxy(request: web.Request, address: str) -> bool:
    """Whether the peer is a reverse proxy of ours (``web.trusted_proxies``)."""
    try:
        peer = ip_address(address)
    except ValueError:
        return False
    networks = request.app[SETTINGS_KEY].web.trusted_proxies
    return any(peer.version == network.version and peer in network for network in networks)


async def seconds_to_wait(request: web.Request, scope: str, rule: RateLimitRule) -> int | None:
    """Spend one of the client's requests of ``scope`` under ``rule``: None while the budget
    lasts, else the whole seconds (at least 1) until the next request is allowed."""
    client = client_of(request)
    result = await request.app[WEB_LIMITER_KEY].hit_bucket(f"{scope}:{client}", rule)
    if result.allowed:
        return None
    log.info("%s rate limit reached by %s on %s", scope, client, request.path)
    return max(1, math.ceil(result.retry_after))
