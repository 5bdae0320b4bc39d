"""``point_discord_at``: send discord.py to a Discord stand-in instead of Discord.

It lives in core because ``botfleet run`` uses it with ``discord.api_base`` set; the sandbox
imports it from here, so core never imports the sandbox.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import yarl
from discord import gateway, http

GATEWAY_PATH = "/gateway"


@contextlib.contextmanager
def point_discord_at(base_url: str) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connections to ``base_url`` while active.

    These two class attributes are the only things changed in discord.py; both are restored on
    exit, so nesting and sequential sandboxes work.
    """
    previous_base = http.Route.BASE
    previous_gateway = gateway.DiscordWebSocket.DEFAULT_GATEWAY
    url = yarl.URL(base_url)
    websocket_scheme = "wss" if url.scheme == "https" else "ws"
    http.Route.BASE = f"{str(url).rstrip('/')}/api/v{http.INTERNAL_API_VERSION}"
    gateway.DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme(websocket_scheme).with_path(
        GATEWAY_PATH
    )
    try:
        yield
    finally:
        http.Route.BASE = previous_base
        gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous_gateway
