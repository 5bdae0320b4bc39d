"""The ``/rank`` card: a PNG with the member's avatar, name, level, XP bar and rank.

Drawing is CPU work, so callers run :func:`render_rank_card` in a thread
(:func:`render_rank_card_async`). The avatar is drawn by :mod:`botfleet.utils.drawing`: the
member's picture when the caller could fetch it, otherwise their initials. Pillow is loaded
at the first card, in its thread (see :mod:`botfleet.utils.imaging`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from botfleet.gamification.levels import LevelProgress
from botfleet.utils.helpers import truncate_string
from botfleet.utils.imaging import MUTED, TEXT, CardLayout

CARD_SIZE: Final = (934, 282)
AVATAR_SIZE: Final = 200
LAYOUT: Final = CardLayout(CARD_SIZE, AVATAR_SIZE, margin=40, panel_radius=24, ring_width=4)
BAR_EMPTY: Final = (72, 75, 81)
MAX_NAME_CHARS: Final = 24
ATTACHMENT_DESCRIPTION_LIMIT: Final = 1024


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

    @property
    def text_alternative(self) -> str:
        """What the picture says, in words: the attachment's description, which screen readers
        and clients that show no images read instead."""
        progress = self.progress
        rank = f"rank #{self.rank}" if self.rank is not None else "not ranked yet"
        text = (
            f"Rank card of {self.display_name}: level {progress.level}, {rank}, "
            f"{progress.xp_into_level:,} of {progress.xp_for_level:,} XP towards level "
            f"{progress.level + 1}, {progress.total_xp:,} XP in total."
        )
        return truncate_string(text, ATTACHMENT_DESCRIPTION_LIMIT)


def render_rank_card(card: RankCard) -> bytes:
    """The card as PNG bytes (blocking: run it in a thread)."""
    from botfleet.utils.drawing import avatar_card, font, png_bytes  # noqa: PLC0415  (Pillow when drawing)

    image, draw, left = avatar_card(
        LAYOUT, card.user_id, card.display_name, card.avatar_png, card.accent
    )
    right = CARD_SIZE[0] - 48
    draw.text(
        (left, 70),
        truncate_string(card.display_name, MAX_NAME_CHARS),
        font=font(40),
        fill=TEXT,
        anchor="ls",
    )
    rank_text = f"RANK #{card.rank}" if card.rank is not None else "UNRANKED"
    level_text = f"LEVEL {card.progress.level}"
    draw.text((right, 70), level_text, font=font(36), fill=card.accent, anchor="rs")
    level_width = draw.textlength(level_text, font=font(36))
    draw.text((right - level_width - 24, 70), rank_text, font=font(28), fill=MUTED, anchor="rs")

    progress = card.progress
    draw.text(
        (right, 150),
        f"{progress.xp_into_level:,} / {progress.xp_for_level:,} XP",
        font=font(26),
        fill=MUTED,
        anchor="rs",
    )
    draw.text(
        (left, 150), f"{progress.total_xp:,} XP in total", font=font(26), fill=MUTED, anchor="ls"
    )

    bar_top, bar_bottom = 172, 212
    radius = (bar_bottom - bar_top) // 2
    draw.rounded_rectangle((left, bar_top, right, bar_bottom), radius=radius, fill=BAR_EMPTY)
    filled = round((right - left) * max(0.0, min(1.0, progress.fraction)))
    if filled >= 2 * radius:
        draw.rounded_rectangle(
            (left, bar_top, left + filled, bar_bottom), radius=radius, fill=card.accent
        )

    return png_bytes(image)


async def render_rank_card_async(card: RankCard) -> bytes:
    """Render off the event loop, so drawing never stalls the bot's other members."""
    return await asyncio.to_thread(render_rank_card, card)
