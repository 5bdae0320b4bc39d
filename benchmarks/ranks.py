"""One member's rank and a board's size among 1,000,000 members, from the database alone.

Beside the old way measured in the same run (a count of every entry ahead over the ranking
index; a count of every entry for the size), the new one: member counts per value bucket, kept
by triggers (migration 0023), plus a short range of the index. Members are ranked at the top,
the middle and the bottom of the board (the bottom is the old way's worst case). Values are
spread evenly from 1 to 1,000,003, as in ``benchmarks/xp_pipeline.py``. Last, what the triggers
add to a save: batches of chat awards saved with and without them, in turn.

The rows are made in the database itself (``generate_series``, a recursive CTE on SQLite), go
through the triggers like any write, are folded once, and are removed afterwards (a database
of this run's own on PostgreSQL, a temporary file for SQLite).

    .venv/bin/python benchmarks/ranks.py [--members 1000000] [--postgres postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import func, select, text, tuple_

from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models import LeaderboardEntry
from botfleet.gamification import Board, Gamification, Period
from botfleet.gamification.database_rankings import DatabaseRankings
from botfleet.gamification.rank_buckets import fold_rank_buckets

GUILD = 424_242
REPEATS = 7
START = date(1970, 1, 1)
GOAL_MS = 50.0
SAVE_ROUNDS = 6
SAVE_AWARDS = 2000
SQLITE_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master "
    "WHERE type = 'trigger' AND name LIKE 'leaderboard_rank_buckets_%'"
)


def board_filter(board: Board) -> list[Any]:
    return [
        LeaderboardEntry.guild_id == board.guild_id,
        LeaderboardEntry.category == board.category,
        LeaderboardEntry.period == board.period.value,
        LeaderboardEntry.period_start == board.start,
        LeaderboardEntry.value > 0,
    ]


async def old_rank(database: Database, board: Board, user_id: int) -> int:
    """The rank as it was read before the bucket counts: everyone ahead, counted."""
    filters = board_filter(board)
    async with database.session() as session:
        value = await session.scalar(
            select(LeaderboardEntry.value).where(*filters, LeaderboardEntry.user_id == user_id)
        )
        ahead = await session.scalar(
            select(func.count())
            .select_from(LeaderboardEntry)
            .where(
                *filters,
                tuple_(LeaderboardEntry.value, LeaderboardEntry.user_id) > tuple_(value, user_id),
            )
        )
    return int(ahead or 0) + 1


async def old_size(database: Database, board: Board) -> int:
    async with database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(LeaderboardEntry).where(*board_filter(board))
        )
    return int(count or 0)


async def best_ms(operation: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Best and median milliseconds over REPEATS runs."""
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        await operation()
        samples.append((time.perf_counter() - started) * 1000)
    return min(samples), statistics.median(samples)


def members_to_rank(members: int) -> dict[str, int]:
    """Members by where they stand: value = 1 + (id * 7919) % 1,000,003."""
    by_value = {1 + (member * 7919) % 1_000_003: member for member in range(1, members + 1)}
    values = sorted(by_value)
    return {
        "top": by_value[values[-1]],
        "middle": by_value[values[len(values) // 2]],
        "bottom": by_value[values[0]],
    }


async def compare(label: str, database: Database, members: int) -> None:
    board = Board("xp", Period.ALL_TIME, GUILD, START)
    rankings = DatabaseRankings(database)
    print(f"\n{label}: a board of {members:,} members (best / median of {REPEATS}, ms)")
    print(f"  {'':<44} {'old way (baseline)':>20} {'bucket counts':>20}")
    for where, member in members_to_rank(members).items():
        new_entry = await rankings.rank(board, member)
        assert new_entry is not None and new_entry.rank == await old_rank(database, board, member)
        old = await best_ms(functools.partial(old_rank, database, board, member))
        new = await best_ms(functools.partial(rankings.rank, board, member))
        show(f"rank of a member at the {where} (#{new_entry.rank:,})", old, new)
    assert await rankings.size(board) == await old_size(database, board) == members
    show(
        "member count (for the page count)",
        await best_ms(lambda: old_size(database, board)),
        await best_ms(lambda: rankings.size(board)),
    )


async def save_cost(database: Database, triggers: Callable[[bool], Awaitable[None]]) -> None:
    """What the triggers add to saving XP: the same kind of batch saved with them and without
    them (switched off in this run's own database only, after the ranks were compared)."""
    gamification = Gamification(database, CacheHierarchy(MemoryCache(10_000)), bot_name="bench")
    rng = random.Random(17)
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(SAVE_ROUNDS):
        enabled = round_ % 2 == 0
        await triggers(enabled)
        for _ in range(SAVE_AWARDS):
            await gamification.xp.award_xp(
                rng.randint(1, 1_000_000), rng.randint(15, 25), "message", guild_id=GUILD
            )
        started = time.perf_counter()
        await gamification.xp.flush()
        seconds[enabled].append(time.perf_counter() - started)
    await triggers(True)
    await gamification.stop()
    per_award = {key: min(values) / SAVE_AWARDS * 1e6 for key, values in seconds.items()}
    print(
        f"  saving one award (8 board rows), best of {SAVE_ROUNDS // 2} batches of "
        f"{SAVE_AWARDS:,}: {per_award[False]:.0f} µs without the triggers, "
        f"{per_award[True]:.0f} µs with them ({per_award[True] / per_award[False] - 1:+.0%})"
    )


def show(label: str, old: tuple[float, float], new: tuple[float, float]) -> None:
    verdict = "goal met" if new[0] < GOAL_MS else "goal NOT met"
    print(
        f"  {label:<44} {old[0]:>9.2f} / {old[1]:>8.2f} {new[0]:>9.2f} / {new[1]:>8.2f}"
        f"   ({old[1] / new[1]:,.0f}x, {verdict} < {GOAL_MS:.0f} ms)"
    )


async def postgres_run(admin_url: str, members: int) -> None:
    name = f"botfleet_ranks_{uuid.uuid4().hex[:8]}"
    base = admin_url.rpartition("/")[0]
    raw_admin = admin_url.replace("+asyncpg", "")
    admin = await asyncpg.connect(raw_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
        await upgrade(url)
        started = time.perf_counter()
        connection = await asyncpg.connect(f"{raw_admin.rpartition('/')[0]}/{name}")
        try:
            await connection.execute(
                "INSERT INTO users (id, username) SELECT g, 'member' FROM generate_series(1, $1) g",
                members,
            )
            await connection.execute(
                "INSERT INTO leaderboard_entries "
                "(user_id, guild_id, category, period, period_start, value) "
                "SELECT g, $2, 'xp', 'all_time', DATE '1970-01-01', "
                "1 + (g::bigint * 7919) % 1000003 FROM generate_series(1, $1) g",
                members,
                GUILD,
            )
        finally:
            await connection.close()
        database = Database(url)
        try:
            await fold_rank_buckets(database, 0)
            raw = await asyncpg.connect(f"{raw_admin.rpartition('/')[0]}/{name}")
            try:
                # What autovacuum does soon after a bulk load: statistics and the visibility map.
                await raw.execute(
                    "VACUUM (ANALYZE) users, leaderboard_entries, leaderboard_rank_buckets"
                )
            finally:
                await raw.close()
            print(
                f"\nPostgreSQL: {members:,} rows made, through the triggers, and folded in "
                f"{time.perf_counter() - started:.1f} s"
            )
            await compare("PostgreSQL", database, members)

            async def switch(enabled: bool) -> None:
                async with database.engine.begin() as connection:
                    switched = "ENABLE" if enabled else "DISABLE"
                    await connection.execute(
                        text(f"ALTER TABLE leaderboard_entries {switched} TRIGGER USER")
                    )

            await save_cost(database, switch)
        finally:
            await database.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def sqlite_run(members: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/ranks.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        started = time.perf_counter()
        await asyncio.to_thread(fill_sqlite, path, members)
        database = Database(url)
        try:
            await fold_rank_buckets(database, 0)
            await asyncio.to_thread(analyze_sqlite, path)
            print(
                f"\nSQLite: {members:,} rows made, through the triggers, and folded in "
                f"{time.perf_counter() - started:.1f} s"
            )
            await compare("SQLite", database, members)
            async with database.engine.connect() as connection:
                made = (await connection.execute(text(SQLITE_TRIGGERS))).all()

            async def switch(enabled: bool) -> None:
                async with database.engine.begin() as connection:
                    for name, sql in made:
                        await connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
                        if enabled:
                            await connection.execute(text(sql))

            await save_cost(database, switch)
        finally:
            await database.dispose()


def fill_sqlite(path: str, members: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO users (id, username, total_xp, level, is_premium, premium_tier) "
            "SELECT i, 'member', 0, 1, 0, 0 FROM n",
            (members,),
        )
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO leaderboard_entries "
            "(user_id, guild_id, category, period, period_start, value) "
            "SELECT i, ?, 'xp', 'all_time', '1970-01-01', 1 + (i * 7919) % 1000003 FROM n",
            (members, GUILD),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


def analyze_sqlite(path: str) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", help="an admin URL of PostgreSQL (a database is created next to it)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    if args.postgres:
        await postgres_run(args.postgres, args.members)
    if not args.no_sqlite:
        await sqlite_run(args.members)


if __name__ == "__main__":
    asyncio.run(main())
