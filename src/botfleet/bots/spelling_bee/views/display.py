"""How the puzzle, verdicts and progress read in Discord."""

from __future__ import annotations

import asyncio
import io
from typing import Final

import discord

from botfleet.bots.spelling_bee.services.game import Answer, Contribution, Progress
from botfleet.bots.spelling_bee.services.puzzle import MIN_WORD_LENGTH, Puzzle, Verdict
from botfleet.bots.spelling_bee.views.hexagons import render_hive
from botfleet.gamification import LevelUp
from botfleet.utils.helpers import create_embed, truncate_string
from botfleet.utils.wording import plural

HIVE_FILENAME: Final = "hive.png"
MAX_FIELD: Final = 1024

VERDICT_TEXT: Final[dict[Verdict, str]] = {
    Verdict.ACCEPTED: "✅ **{word}** — nice! +{points}",
    Verdict.PANGRAM: "🐝 **{word}** — PANGRAM! +{points}",
    Verdict.TOO_SHORT: f"✂️ **{{word}}** is too short: words have {MIN_WORD_LENGTH}+ letters.",
    Verdict.MISSING_CENTRE: "🎯 **{word}** misses the centre letter **{centre}**.",
    Verdict.BAD_LETTERS: "🔤 **{word}** uses letters that are not in the hive.",
    Verdict.NOT_IN_LIST: "📖 **{word}** is not in today's word list.",
    Verdict.ALREADY_FOUND: "🔁 **{word}** was already found.",
}


def letters_line(centre: str, outer: str) -> str:
    """The letters as text, the centre in brackets, for readers without the picture."""
    return f"[{centre.upper()}] " + " ".join(outer.upper())


async def hive_file(centre: str, outer: str) -> discord.File:
    """The hexagon picture, drawn off the event loop."""
    png = await asyncio.to_thread(render_hive, centre, outer)
    return discord.File(io.BytesIO(png), filename=HIVE_FILENAME)


def verdict_text(answer: Answer) -> str:
    """One line for the verdict, and the new rank when the word earned one."""
    puzzle = answer.progress.puzzle
    line = VERDICT_TEXT[answer.verdict].format(
        word=answer.word.upper(), points=answer.points, centre=puzzle.centre.upper()
    )
    rank = answer.progress.rank
    if answer.verdict.scores and rank != answer.rank_before:
        line += f"\n⬆️ The server reached **{rank.name}**!"
    return "\n".join([line, *level_up_lines(answer.level_ups)])


def level_up_lines(level_ups: tuple[LevelUp, ...]) -> list[str]:
    """One line per level-up, announced with the verdict or ending that caused it."""
    return [
        f"⭐ <@{level_up.user_id}> reached level {level_up.new_level}!" for level_up in level_ups
    ]


def puzzle_embed(progress: Progress, color: int, outer: str | None = None) -> discord.Embed:
    """The puzzle card: letters, picture, how to play, and the score so far."""
    puzzle = progress.puzzle
    embed = create_embed(
        title=f"🐝 Spelling Bee — {progress.day}",
        description=(
            f"**{letters_line(puzzle.centre, outer or puzzle.outer)}**\n"
            f"Make words of {MIN_WORD_LENGTH}+ letters from the hive; every word uses the "
            f"centre letter **{puzzle.centre.upper()}**. Letters may repeat. "
            "Use `/bee guess` or just type a word in this channel."
        ),
        color=color,
        fields=[
            ("Words", f"{len(progress.finds)} of {len(puzzle.answers)}", True),
            ("Score", f"{progress.score} of {puzzle.max_score}", True),
            ("Rank", progress.rank.name, True),
        ],
    )
    embed.set_image(url=f"attachment://{HIVE_FILENAME}")
    return embed


def status_embed(progress: Progress, color: int) -> discord.Embed:
    """Found words, score, rank and the way to the next rank."""
    upcoming = progress.next_rank
    to_next = (
        f"{plural(upcoming[1], 'more point', 'more points')} to **{upcoming[0].name}**"
        if upcoming is not None
        else "Every word found — Queen Bee! 👑"
    )
    words = ", ".join(sorted(word.upper() for word in progress.words)) or "None yet"
    return create_embed(
        title=f"🐝 Spelling Bee status — {progress.day}",
        description=f"**{letters_line(progress.puzzle.centre, progress.puzzle.outer)}**",
        color=color,
        fields=[
            ("Rank", progress.rank.name, True),
            ("Score", f"{progress.score} of {progress.puzzle.max_score}", True),
            ("Next", to_next, True),
            (f"Found ({len(progress.finds)})", truncate_string(words, MAX_FIELD), False),
        ],
    )


def hints_embed(puzzle: Puzzle, found: list[str], color: int) -> discord.Embed:
    """The hint grid (first letter by length) and the two-letter list, of words still to find."""
    grid = puzzle.counts_grid(found)
    lengths = sorted({length for row in grid.values() for length in row})
    header = "    " + "".join(f"{length:>4}" for length in lengths) + "   Σ"
    rows = [
        f"{letter.upper():<4}"
        + "".join(f"{row.get(length, 0) or '-':>4}" for length in lengths)
        + f"{sum(row.values()):>4}"
        for letter, row in grid.items()
    ]
    pairs = " ".join(
        f"{pair.upper()}-{count}" for pair, count in puzzle.two_letter_starts(found).items()
    )
    left = len(puzzle.answers) - len(set(found) & puzzle.answers)
    pangrams_left = len(puzzle.pangrams - set(found))
    return create_embed(
        title="🐝 Hints — words still to find",
        description=truncate_string(
            f"{plural(left, 'word')} left, {plural(pangrams_left, 'pangram')} left.\n```\n"
            + "\n".join([header, *rows])
            + "\n```",
            4000,
        ),
        color=color,
        fields=[("Two-letter starts", truncate_string(pairs or "—", MAX_FIELD), False)],
    )


def leaderboard_embed(ranking: list[Contribution], color: int) -> discord.Embed:
    """Today's top finders of the server."""
    lines = [
        f"**{place}.** <@{entry.user_id}> — {plural(entry.points, 'point')}, "
        f"{plural(entry.words, 'word')}"
        + (f", {plural(entry.pangrams, 'pangram')} 🐝" if entry.pangrams else "")
        for place, entry in enumerate(ranking, start=1)
    ]
    return create_embed(
        title="🏆 Today's Spelling Bee finders",
        description="\n".join(lines) or "No word found yet today — be the first!",
        color=color,
    )
