"""Members' records and the all-time board: how ``/bee stats`` and ``/bee leaderboard`` read."""

from __future__ import annotations

from typing import Final

import discord

from botfleet.bots.spelling_bee.services.classic_store import ClassicStats
from botfleet.bots.spelling_bee.services.store import PuzzleStats
from botfleet.bots.spelling_bee.views.classic import classic_record_fields
from botfleet.utils.embeds import EmbedField, create_embed
from botfleet.utils.wording import plural

PUZZLE_HEADING: Final = "🐝 Daily puzzle"


def puzzle_record_fields(stats: PuzzleStats, today: str) -> list[EmbedField]:
    """A member's all-time puzzle record as embed fields, under a heading field."""
    if not stats.days_played:
        return [(PUZZLE_HEADING, "No words found yet — play today's with /bee today!", False)]
    streak = stats.streak_on(today)
    return [
        (PUZZLE_HEADING, "Words found for the server, all time.", False),
        ("Days played", str(stats.days_played), True),
        ("Words found", str(stats.words_found), True),
        ("Points", str(stats.points), True),
        ("Pangrams", str(stats.pangrams), True),
        ("Best day", plural(stats.best_day, "point"), True),
        ("Streak", f"{plural(streak, 'day')} (best {stats.best_streak})", True),
        ("Genius days", str(stats.genius_days), True),
        ("Queen Bee days", str(stats.queen_bee_days), True),
    ]


def record_embed(
    name: str,
    color: int,
    *,
    today: str,
    puzzle: PuzzleStats | None,
    classic: ClassicStats | None,
) -> discord.Embed:
    """A member's records in this server: the puzzle's (streak as of ``today``), the classic's."""
    fields: list[EmbedField] = []
    if puzzle is not None:
        fields += puzzle_record_fields(puzzle, today)
    if classic is not None:
        fields += classic_record_fields(classic)
    return create_embed(
        title=f"Spelling Bee record of {name}", description=None, color=color, fields=fields
    )


def all_time_embed(ranking: list[tuple[int, PuzzleStats]], color: int) -> discord.Embed:
    """The server's best puzzle players of all time."""
    lines = [
        f"**{place}.** <@{user_id}> — {plural(stats.points, 'point')}, "
        f"{plural(stats.words_found, 'word')}, {plural(stats.days_played, 'day')}"
        + (f", {plural(stats.pangrams, 'pangram')} 🐝" if stats.pangrams else "")
        for place, (user_id, stats) in enumerate(ranking, start=1)
    ]
    return create_embed(
        title="🏆 Spelling Bee finders of all time",
        description="\n".join(lines) or "No word found yet — start with /bee today!",
        color=color,
    )
