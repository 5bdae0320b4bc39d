"""What members' pictures (rank cards, welcome cards) are made of: colours, the layout of a
card, a member's initials, and their avatar fetched from Discord.

The drawing itself is in :mod:`botfleet.utils.drawing`, which loads Pillow: a card's drawing
function imports it when it first draws (in its thread), so a bot that draws no picture never
loads Pillow (3.5–3.9 MB of an idle bot's memory, most of it its image libraries).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

import aiohttp
import discord

log = logging.getLogger(__name__)

TEXT: Final = (255, 255, 255)
CARD_BACKGROUND: Final = (35, 39, 42)
CARD_PANEL: Final = (47, 49, 54)
MUTED: Final = (185, 187, 190)
AVATAR_FETCH_SECONDS: Final = 3.0
"""Longest wait for a member's picture; past it the card shows their initials instead."""

AVATAR_COLOURS: Final = (
    (88, 101, 242),
    (87, 242, 135),
    (254, 231, 92),
    (235, 69, 158),
    (237, 66, 69),
    (52, 152, 219),
)
"""Backgrounds of the initials avatar, picked from the user id so a member keeps theirs."""


def initials(name: str) -> str:
    """Up to two letters standing for a name: "Ada Lovelace" → "AL", "bob" → "B"."""
    words = [word for word in name.replace("_", " ").replace(".", " ").split() if word]
    letters = "".join(word[0] for word in words[:2] if word[0].isalnum()).upper()
    return letters or "?"


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where a card's panel and avatar sit: ``margin`` is left of the avatar and again between
    the avatar and the text."""

    size: tuple[int, int]
    avatar_size: int
    margin: int
    panel_radius: int
    ring_width: int


async def fetch_avatar_png(member: discord.Member | discord.User) -> bytes | None:
    """The member's picture from Discord's CDN, or None when it cannot be fetched (offline)."""
    try:
        async with asyncio.timeout(AVATAR_FETCH_SECONDS):
            return await member.display_avatar.with_size(256).read()
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.debug("drawing initials for %d: their avatar is out of reach (%s)", member.id, exc)
        return None
