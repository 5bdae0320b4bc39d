"""The sandbox's world and every change to it, with the gateway events each change causes.

REST handlers (what bots do) and the scripting API (what test members do) both change the world
through ``SandboxState``, so a message is stored, announced and awaited the same way whoever
sent it. Each change tells its subscribers (the gateway hub, waiting tests) right away.
"""

from __future__ import annotations

from botfleet.sandbox.resources.automod import AutoModState
from botfleet.sandbox.resources.members import MemberEdit
from botfleet.sandbox.resources.world import (
    INTERACTION_RESPONSE_DEADLINE,
    INTERACTION_TOKEN_LIFETIME,
    POLL_HOUR,
    ChangeFeed,
    EventSubscriber,
    GatewayEvent,
    Renderer,
)

__all__ = [
    "INTERACTION_RESPONSE_DEADLINE",
    "INTERACTION_TOKEN_LIFETIME",
    "POLL_HOUR",
    "ChangeFeed",
    "EventSubscriber",
    "GatewayEvent",
    "MemberEdit",
    "Renderer",
    "SandboxState",
]


class SandboxState(AutoModState):
    """All applications, users, guilds, channels, messages and interactions of one sandbox.

    Each resource's part lives in ``botfleet.sandbox.resources``; this is all of them together.
    """
