"""The puzzle as a picture: the centre letter in a yellow hexagon, the six others around it.

Drawing is CPU work done with Pillow, so callers run :func:`render_hive` in a thread; Pillow is
loaded at the first picture, in that thread (see :mod:`botfleet.utils.imaging`).
"""

from __future__ import annotations

import io
import math
from typing import Final

SIZE: Final = 360
HEX_RADIUS: Final = 58
GAP: Final = 6
CENTRE_FILL: Final = (247, 218, 33)
OUTER_FILL: Final = (230, 230, 230)
INK: Final = (20, 20, 20)
FONT_SIZE: Final = 54


def _hexagon(centre_x: float, centre_y: float, radius: float) -> list[tuple[float, float]]:
    """A flat-topped hexagon's corners."""
    return [
        (
            centre_x + radius * math.cos(math.radians(60 * corner)),
            centre_y + radius * math.sin(math.radians(60 * corner)),
        )
        for corner in range(6)
    ]


def render_hive(centre: str, outer: str) -> bytes:
    """A PNG of the hive: ``centre`` in the middle, ``outer``'s letters clockwise from the top."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415  (Pillow when drawing)

    image = Image.new("RGB", (SIZE, SIZE), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=FONT_SIZE)
    middle = SIZE / 2
    distance = math.sqrt(3) * HEX_RADIUS + GAP
    cells = [(middle, middle, centre, CENTRE_FILL)]
    for index, letter in enumerate(outer):
        angle = math.radians(-90 + 60 * index)
        cells.append(
            (
                middle + distance * math.cos(angle),
                middle + distance * math.sin(angle),
                letter,
                OUTER_FILL,
            )
        )
    for x, y, letter, fill in cells:
        draw.polygon(_hexagon(x, y, HEX_RADIUS), fill=fill)
        draw.text((x, y), letter.upper(), fill=INK, font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
