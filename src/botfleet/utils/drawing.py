"""Drawing members' pictures with Pillow: fonts, the initials avatar, a card's background.

Drawing is CPU work: the functions here are blocking and callers run them in a thread. An
avatar is the member's picture when it could be fetched, otherwise their initials on a colour
picked from their id, drawn locally so a card never depends on Discord's CDN being reachable.
Imported by drawing functions when they run, never at a bot's start (see
:mod:`botfleet.utils.imaging`).
"""

from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from botfleet.utils.imaging import (
    AVATAR_COLOURS,
    CARD_BACKGROUND,
    CARD_PANEL,
    TEXT,
    CardLayout,
    initials,
)


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
