"""The hive picture and the texts members read, without Discord."""

from __future__ import annotations

import io

from PIL import Image

from botfleet.bots.spelling_bee.services.game import Answer, Progress
from botfleet.bots.spelling_bee.services.puzzle import RANKS, Verdict, WordList
from botfleet.bots.spelling_bee.services.store import Find
from botfleet.bots.spelling_bee.views.display import letters_line, verdict_text
from botfleet.bots.spelling_bee.views.hexagons import CENTRE_FILL, OUTER_FILL, SIZE, render_hive
from botfleet.gamification import LevelUp


def test_the_hive_is_a_png_with_the_centre_in_yellow() -> None:
    image = Image.open(io.BytesIO(render_hive("t", "efginr")))
    assert image.format == "PNG" and image.size == (SIZE, SIZE)
    rgb = image.convert("RGB")
    assert rgb.getpixel((SIZE // 2 - 30, SIZE // 2 - 30)) == CENTRE_FILL
    assert rgb.getpixel((SIZE // 2 - 30, 40)) == OUTER_FILL, "a cell above the centre"
    assert render_hive("t", "efginr") != render_hive("t", "rnigfe"), "a shuffle redraws"


def test_verdict_texts() -> None:
    puzzle = WordList(["bractlet", "table", "able"]).puzzle_for("abcelrt", "a")
    progress = Progress("2026-11-25", puzzle, (Find("bractlet", 1),))
    pangram = Answer("bractlet", Verdict.PANGRAM, 15, progress, RANKS[0])
    text = verdict_text(pangram)
    assert text.startswith("🐝 **BRACTLET** — PANGRAM! +15")
    assert f"reached **{progress.rank.name}**" in text
    level_up = LevelUp(7, 1, 1, 2, 120, None, "spelling_bee")
    missing = Answer("belt", Verdict.MISSING_CENTRE, 0, progress, progress.rank)
    assert verdict_text(missing) == "🎯 **BELT** misses the centre letter **A**."
    found = Answer("able", Verdict.ACCEPTED, 1, progress, progress.rank, (level_up,))
    assert verdict_text(found) == "✅ **ABLE** — nice! +1\n⭐ <@7> reached level 2!"
    assert letters_line("a", "bcelrt") == "[A] B C E L R T"
