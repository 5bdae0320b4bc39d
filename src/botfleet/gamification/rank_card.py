"""The ``/rank`` card: a PNG with the member's avatar, name, level, XP bar and rank.

Drawing is CPU work, so callers run :func:`render_rank_card` in a thread
(:func:`render_rank_card_async`). The avatar is the member's picture when the caller could fetch
it, otherwise their initials in a coloured circle, drawn locally so a card never depends on
Discord's CDN being reachable.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from botfleet.gamification.levels import LevelProgress

CARD_SIZE: Final = (934, 282)
AVATAR_SIZE: Final = 200
BACKGROUND: Final = (35, 39, 42)
PANEL: Final = (47, 49, 54)
TEXT: Final = (255, 255, 255)
MUTED: Final = (185, 187, 190)
BAR_EMPTY: Final = (72, 75, 81)
MAX_NAME_CHARS: Final = 24

AVATAR_COLOURS: Final = (
    (88, 101, 242),
    (87, 242, 135),
    (254, 231, 92),
    (235, 69, 158),
    (237, 66, 69),
    (52, 152, 219),
)
"""Backgrounds of the initials avatar, picked from the user id so a member keeps theirs."""


@dataclass(frozen=True, slots=True)
class RankCard:
    """What a rank card shows."""

    user_id: int
    display_name: str
    progress: LevelProgress
    rank: int | None
    """The member's place on the all-time XP board; None while they are not on it."""
    accent: tuple[int, int, int] = (88, 101, 242)
    avatar_png: bytes | None = None


def initials(name: str) -> str:
    """Up to two letters standing for a name: "Ada Lovelace" → "AL", "bob" → "B"."""
    words = [word for word in name.replace("_", " ").replace(".", " ").split() if word]
    letters = "".join(word[0] for word in words[:2] if word[0].isalnum()).upper()
    return letters or "?"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _shorten(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _circle_mask(size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    return mask


def _initials_avatar(user_id: int, name: str) -> Image.Image:
    colour = AVATAR_COLOURS[zlib.crc32(str(user_id).encode()) % len(AVATAR_COLOURS)]
    avatar = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), colour)
    draw = ImageDraw.Draw(avatar)
    draw.text(
        (AVATAR_SIZE // 2, AVATAR_SIZE // 2),
        initials(name),
        font=_font(AVATAR_SIZE // 2 - 10),
        fill=TEXT,
        anchor="mm",
    )
    return avatar


def _avatar(card: RankCard) -> Image.Image:
    """The fetched picture, or the initials when there is none or it is not an image."""
    if card.avatar_png is not None:
        try:
            with Image.open(io.BytesIO(card.avatar_png)) as picture:
                return picture.convert("RGB").resize((AVATAR_SIZE, AVATAR_SIZE))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            pass
    return _initials_avatar(card.user_id, card.display_name)


def render_rank_card(card: RankCard) -> bytes:
    """The card as PNG bytes (blocking: run it in a thread)."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((16, 16, width - 16, height - 16), radius=24, fill=PANEL)

    top = (height - AVATAR_SIZE) // 2
    image.paste(_avatar(card), (40, top), _circle_mask(AVATAR_SIZE))
    draw.ellipse(
        (36, top - 4, 44 + AVATAR_SIZE, top + 4 + AVATAR_SIZE), outline=card.accent, width=4
    )

    left = 40 + AVATAR_SIZE + 40
    right = width - 48
    draw.text((left, 70), _shorten(card.display_name), font=_font(40), fill=TEXT, anchor="ls")
    rank_text = f"RANK #{card.rank}" if card.rank is not None else "UNRANKED"
    level_text = f"LEVEL {card.progress.level}"
    draw.text((right, 70), level_text, font=_font(36), fill=card.accent, anchor="rs")
    level_width = draw.textlength(level_text, font=_font(36))
    draw.text((right - level_width - 24, 70), rank_text, font=_font(28), fill=MUTED, anchor="rs")

    progress = card.progress
    draw.text(
        (right, 150),
        f"{progress.xp_into_level:,} / {progress.xp_for_level:,} XP",
        font=_font(26),
        fill=MUTED,
        anchor="rs",
    )
    draw.text(
        (left, 150), f"{progress.total_xp:,} XP in total", font=_font(26), fill=MUTED, anchor="ls"
    )

    bar_top, bar_bottom = 172, 212
    radius = (bar_bottom - bar_top) // 2
    draw.rounded_rectangle((left, bar_top, right, bar_bottom), radius=radius, fill=BAR_EMPTY)
    filled = round((right - left) * max(0.0, min(1.0, progress.fraction)))
    if filled >= 2 * radius:
        draw.rounded_rectangle(
            (left, bar_top, left + filled, bar_bottom), radius=radius, fill=card.accent
        )

    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


async def render_rank_card_async(card: RankCard) -> bytes:
    """Render off the event loop, so drawing never stalls the bot's other members."""
    return await asyncio.to_thread(render_rank_card, card)
