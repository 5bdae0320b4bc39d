"""The /rank card drawn with Pillow: size, progress bar, initials avatar and fetched avatars."""

from __future__ import annotations

import io

from PIL import Image

from botfleet.gamification.discord.rank_card import (
    AVATAR_SIZE,
    BAR_EMPTY,
    CARD_SIZE,
    RankCard,
    render_rank_card,
    render_rank_card_async,
)
from botfleet.gamification.levels import LevelCurve
from botfleet.utils.imaging import initials

ACCENT = (88, 101, 242)
BAR_LEFT = 40 + AVATAR_SIZE + 40
BAR_RIGHT = CARD_SIZE[0] - 48
BAR_MIDDLE_Y = 192
AVATAR_CENTRE = (40 + AVATAR_SIZE // 2, (CARD_SIZE[1] - AVATAR_SIZE) // 2 + 20)


def _card(total_xp: int, **overrides: object) -> RankCard:
    values: dict[str, object] = {
        "user_id": 42,
        "display_name": "Ada Lovelace",
        "progress": LevelCurve().progress(total_xp),
        "rank": 3,
        "accent": ACCENT,
    }
    values.update(overrides)
    return RankCard(**values)  # type: ignore[arg-type]


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _pixel(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    red, green, blue = image.getpixel((x, y))  # type: ignore[misc]
    return red, green, blue


def test_initials_stand_for_the_name() -> None:
    assert initials("Ada Lovelace") == "AL"
    assert initials("bob") == "B"
    assert initials("grace_brewster_hopper") == "GB"
    assert initials("   ") == "?"


def test_progress_bar_fills_in_proportion_to_the_level() -> None:
    halfway = _open(render_rank_card(_card(50)))  # level 1 spans 100 XP
    assert halfway.size == CARD_SIZE
    width = BAR_RIGHT - BAR_LEFT
    assert _pixel(halfway, BAR_LEFT + width // 4, BAR_MIDDLE_Y) == ACCENT
    assert _pixel(halfway, BAR_LEFT + 3 * width // 4, BAR_MIDDLE_Y) == BAR_EMPTY

    fresh = _open(render_rank_card(_card(0)))
    assert _pixel(fresh, BAR_LEFT + width // 4, BAR_MIDDLE_Y) == BAR_EMPTY


async def test_rendering_off_the_loop_gives_the_same_card() -> None:
    card = _card(1234, rank=None)
    assert await render_rank_card_async(card) == render_rank_card(card)


def test_avatar_is_the_fetched_picture_or_the_initials() -> None:
    red = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(red, format="PNG")
    pictured = _open(render_rank_card(_card(10, avatar_png=red.getvalue())))
    assert _pixel(pictured, *AVATAR_CENTRE) == (255, 0, 0)

    broken = _open(render_rank_card(_card(10, avatar_png=b"not an image")))
    drawn = _open(render_rank_card(_card(10)))
    assert _pixel(broken, *AVATAR_CENTRE) == _pixel(drawn, *AVATAR_CENTRE)
    assert _pixel(drawn, *AVATAR_CENTRE) != (255, 0, 0)


def test_a_long_name_still_gives_a_card() -> None:
    image = _open(render_rank_card(_card(10**9, display_name="x" * 200, rank=1_000_000)))
    assert image.size == CARD_SIZE
