"""Pictures members see (rank cards, welcome cards): avatars, fonts and the circle they sit in.

Drawing is CPU work: the functions here are blocking and callers run them in a thread. An
avatar is the member's picture when it could be fetched, otherwise their initials on a colour
picked from their id, drawn locally so a card never depends on Discord's CDN being reachable.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zlib
from dataclasses import dataclass
from typing import Final

import aiohttp
import discord
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

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


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: no system font needed on any machine."""
    return ImageFont.load_default(size=size)


def circle_mask(size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    return mask


def avatar_image(user_id: int, name: str, picture_png: bytes | None, size: int) -> Image.Image:
    """The fetched picture at ``size``, or the initials when there is none or it is not an image."""
    if picture_png is not None:
        try:
            with Image.open(io.BytesIO(picture_png)) as picture:
                return picture.convert("RGB").resize((size, size))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            pass
    colour = AVATAR_COLOURS[zlib.crc32(str(user_id).encode()) % len(AVATAR_COLOURS)]
    avatar = Image.new("RGB", (size, size), colour)
    ImageDraw.Draw(avatar).text(
        (size // 2, size // 2), initials(name), font=font(size // 2 - 10), fill=TEXT, anchor="mm"
    )
    return avatar


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where a card's panel and avatar sit: ``margin`` is left of the avatar and again between
    the avatar and the text."""

    size: tuple[int, int]
    avatar_size: int
    margin: int
    panel_radius: int
    ring_width: int


def avatar_card(
    layout: CardLayout,
    user_id: int,
    name: str,
    picture_png: bytes | None,
    accent: tuple[int, int, int],
) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    """A card's background, its panel and the member's avatar on the left in a ring of
    ``accent``: the image, a pen on it and the x where the text starts."""
    width, height = layout.size
    image = Image.new("RGB", layout.size, CARD_BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (16, 16, width - 16, height - 16), radius=layout.panel_radius, fill=CARD_PANEL
    )
    size, left = layout.avatar_size, layout.margin
    top = (height - size) // 2
    image.paste(avatar_image(user_id, name, picture_png, size), (left, top), circle_mask(size))
    draw.ellipse(
        (left - 4, top - 4, left + size + 4, top + size + 4),
        outline=accent,
        width=layout.ring_width,
    )
    return image, draw, left + size + layout.margin


def png_bytes(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


async def fetch_avatar_png(member: discord.Member | discord.User) -> bytes | None:
    """The member's picture from Discord's CDN, or None when it cannot be fetched (offline)."""
    try:
        return await asyncio.wait_for(
            member.display_avatar.with_size(256).read(), AVATAR_FETCH_SECONDS
        )
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.debug("drawing initials for %d: their avatar is out of reach (%s)", member.id, exc)
        return None
