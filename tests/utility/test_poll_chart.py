"""The results picture: a PNG that decodes, grows with the answers and keeps text inside."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw

from botfleet.bots.utility.services.poll_chart import (
    BAR,
    MARGIN,
    TRACK,
    WIDTH,
    WINNER,
    render_poll_chart,
    render_poll_chart_async,
    wrap_text,
)
from botfleet.bots.utility.services.polls import Poll, Tally
from botfleet.utils.drawing import font

WHEN = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
BAR_LEFT = MARGIN + 300 + 16


def make_tally(
    answers: tuple[str, ...], counts: tuple[int, ...], *, question: str = "Lunch?", closed: bool
) -> Tally:
    poll = Poll(
        id=1,
        guild_id=2,
        channel_id=3,
        message_id=4,
        creator_id=5,
        question=question,
        answers=answers,
        anonymous=False,
        allow_change=True,
        multiple_choice=False,
        ends_at=WHEN,
        closed_at=WHEN if closed else None,
        version=0,
    )
    return Tally(poll=poll, counts=counts, voters=sum(counts))


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()
    return image.convert("RGB")


def colours_at_bar_start(image: Image.Image) -> set[tuple[int, int, int]]:
    """The colours just inside the left end of the bars, down the whole picture."""
    pixels = image.load()
    assert pixels is not None
    return {pixels[BAR_LEFT + 20, y] for y in range(image.height)}  # type: ignore[misc]


def test_the_chart_is_a_png_of_fixed_width_that_grows_with_the_answers() -> None:
    two = decode(render_poll_chart(make_tally(("Yes", "No"), (3, 1), closed=True)))
    ten = decode(
        render_poll_chart(
            make_tally(tuple(f"Answer {n}" for n in range(10)), tuple(range(10)), closed=True)
        )
    )
    assert two.width == ten.width == WIDTH
    assert ten.height > two.height + 8 * 34


def test_the_leading_answer_is_highlighted_once_the_poll_has_ended() -> None:
    final = decode(render_poll_chart(make_tally(("Yes", "No"), (3, 1), closed=True)))
    assert {WINNER, BAR} <= colours_at_bar_start(final)
    running = decode(render_poll_chart(make_tally(("Yes", "No"), (3, 1), closed=False)))
    colours = colours_at_bar_start(running)
    assert BAR in colours and WINNER not in colours


def test_a_poll_without_votes_draws_empty_tracks() -> None:
    image = decode(render_poll_chart(make_tally(("Yes", "No", "Maybe"), (0, 0, 0), closed=True)))
    colours = colours_at_bar_start(image)
    assert TRACK in colours and BAR not in colours and WINNER not in colours


def test_long_questions_and_answers_are_wrapped_inside_the_picture() -> None:
    long_answer = "Supercalifragilisticexpialidocious" * 3
    tally = make_tally(
        ("short", long_answer, "a " * 60),
        (1, 2, 3),
        question="What should we eat at the end-of-year dinner of the club? " * 6,
        closed=True,
    )
    image = decode(render_poll_chart(tally))
    assert image.width == WIDTH
    pixels = image.load()
    assert pixels is not None
    right_edge = {pixels[WIDTH - 4, y] for y in range(image.height)}
    assert len(right_edge) == 1  # nothing written into the margin


@pytest.mark.parametrize(
    ("text", "width", "max_lines", "cut"),
    [
        ("Supercalifragilisticexpialidocious" * 4, 200, 2, True),
        ("word " * 80, 300, 3, True),
        ("two short lines of words", 150, 2, False),
        ("fits", 300, 2, False),
    ],
)
def test_wrapped_lines_fit_and_are_cut_with_an_ellipsis(
    text: str, width: int, max_lines: int, cut: bool
) -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_font = font(22)
    lines = wrap_text(draw, text, text_font, width, max_lines)
    assert 1 <= len(lines) <= max_lines
    assert all(draw.textlength(line, font=text_font) <= width for line in lines)
    assert lines[-1].endswith("…") is cut
    if not cut:
        assert " ".join(lines) == text


async def test_rendering_in_a_thread_gives_the_same_picture() -> None:
    tally = make_tally(("Yes", "No"), (1, 1), closed=True)
    assert await render_poll_chart_async(tally) == render_poll_chart(tally)
