"""A poll's results as a picture: the question, then one horizontal bar per answer.

Drawing is CPU work, so callers run :func:`render_poll_chart` in a thread
(:func:`render_poll_chart_async`), which loads Pillow at the first chart (see
:mod:`botfleet.utils.imaging`). Long questions and answers wrap to a few lines and are cut
with "…"; a word longer than a line is broken inside, so no text ever leaves the picture. The
image grows in height with the answers and keeps one width, which Discord shows uncropped.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from botfleet.bots.utility.services.polls import Tally
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WIDTH: Final = 900
MARGIN: Final = 32
LABEL_WIDTH: Final = 300
COUNT_WIDTH: Final = 130
BAR_HEIGHT: Final = 34
ROW_GAP: Final = 18
TITLE_SIZE: Final = 30
TEXT_SIZE: Final = 22
SMALL_SIZE: Final = 18
MAX_TITLE_LINES: Final = 3
MAX_LABEL_LINES: Final = 2
ELLIPSIS: Final = "…"

BACKGROUND: Final = (43, 45, 49)
TEXT: Final = (242, 243, 245)
MUTED: Final = (181, 186, 193)
TRACK: Final = (64, 66, 73)
BAR: Final = (88, 101, 242)
WINNER: Final = (87, 242, 135)


def _fits(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> bool:
    return draw.textlength(text, font=font) <= width


def _break_word(draw: ImageDraw.ImageDraw, word: str, font: Font, width: int) -> list[str]:
    """A word wider than a line, cut into pieces that each fit."""
    pieces: list[str] = []
    piece = ""
    for character in word:
        if piece and not _fits(draw, piece + character, font, width):
            pieces.append(piece)
            piece = ""
        piece += character
    return [*pieces, piece] if piece else pieces


def _shorten(draw: ImageDraw.ImageDraw, line: str, font: Font, width: int) -> str:
    """``line`` with "…" at its end, cut so that both fit in ``width``."""
    text = line.rstrip()
    while text and not _fits(draw, text + ELLIPSIS, font, width):
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def wrap_text(
    draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, max_lines: int
) -> list[str]:
    """``text`` in lines no wider than ``width``; past ``max_lines`` the last ends in "…"."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _fits(draw, candidate, font, width):
            line = candidate
            continue
        if _fits(draw, word, font, width):
            lines.append(line)
            line = word
            continue
        pieces = _break_word(draw, candidate, font, width)  # too wide alone: cut it in place
        lines.extend(pieces[:-1])
        line = pieces[-1]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _shorten(draw, lines[max_lines - 1], font, width)]
    return lines or [""]


def _line_height(font: Font) -> int:
    top, bottom = font.getbbox("Ág")[1::2]
    return int(bottom - top) + 6


def _summary(tally: Tally) -> str:
    voters = plural(tally.voters, "voter")
    state = "final results" if not tally.poll.is_open else "results so far"
    return f"{voters} · {state}"


def render_poll_chart(tally: Tally) -> bytes:
    """The poll's results as PNG bytes (blocking: run it in a thread)."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (Pillow when drawing)

    from botfleet.utils.drawing import font, png_bytes  # noqa: PLC0415

    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    title_font, text_font, small_font = font(TITLE_SIZE), font(TEXT_SIZE), font(SMALL_SIZE)
    inner = WIDTH - 2 * MARGIN
    title = wrap_text(scratch, tally.poll.question, title_font, inner, MAX_TITLE_LINES)
    labels = [
        wrap_text(scratch, f"{number}. {answer}", text_font, LABEL_WIDTH, MAX_LABEL_LINES)
        for number, answer in enumerate(tally.poll.answers, start=1)
    ]
    title_line, text_line = _line_height(title_font), _line_height(text_font)
    rows = [max(BAR_HEIGHT, len(lines) * text_line) for lines in labels]
    header = MARGIN + len(title) * title_line + 4 + _line_height(small_font) + ROW_GAP
    height = header + sum(rows) + ROW_GAP * (len(rows) - 1) + MARGIN

    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for line in title:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += title_line
    draw.text((MARGIN, y + 4), _summary(tally), font=small_font, fill=MUTED)

    bar_left = MARGIN + LABEL_WIDTH + 16
    bar_right = WIDTH - MARGIN - COUNT_WIDTH
    most = max(tally.counts, default=0)
    leaders = set(tally.leaders)
    y = header
    for index, (lines, row_height) in enumerate(zip(labels, rows, strict=True)):
        text_top = y + (row_height - len(lines) * text_line) // 2
        for number, line in enumerate(lines):
            draw.text((MARGIN, text_top + number * text_line), line, font=text_font, fill=TEXT)
        bar_top = y + (row_height - BAR_HEIGHT) // 2
        draw.rounded_rectangle(
            (bar_left, bar_top, bar_right, bar_top + BAR_HEIGHT), radius=8, fill=TRACK
        )
        count = tally.counts[index]
        if count:
            length = max(16, round((bar_right - bar_left) * count / most))
            colour = WINNER if index in leaders and not tally.poll.is_open else BAR
            draw.rounded_rectangle(
                (bar_left, bar_top, bar_left + length, bar_top + BAR_HEIGHT), radius=8, fill=colour
            )
        draw.text(
            (WIDTH - MARGIN, bar_top + BAR_HEIGHT // 2),
            f"{count} · {tally.share(index):.0%}",
            font=text_font,
            fill=TEXT,
            anchor="rm",
        )
        y += row_height + ROW_GAP

    return png_bytes(image)


async def render_poll_chart_async(tally: Tally) -> bytes:
    """:func:`render_poll_chart` off the event loop."""
    return await asyncio.to_thread(render_poll_chart, tally)
