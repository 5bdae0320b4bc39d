"""Ranks and board sizes read from the member counts per value bucket, on SQLite and real
PostgreSQL: the counts follow every write to the boards (saves from concurrent processes,
administrators' changes, deleted members, pruning, direct edits), folding keeps them, and each
rank equals the member's place in the board ordered by value, then by the higher id."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime

import pytest
from gamification_helpers import ADA, GUILD, GamificationFactory, eventually
from sqlalchemy import delete, func, insert, select, update

from botfleet.database import Database
from botfleet.database.models import LeaderboardEntry, User
from botfleet.database.models.gamification import RankBucket
from botfleet.gamification import Board, GamificationOptions, Period, write_behind
from botfleet.gamification.database_rankings import DatabaseRankings
from botfleet.gamification.rank_buckets import fold_rank_buckets, rank_bucket

START = date(1970, 1, 1)
EDGES = [1, 2, 1023, 1024, 1087, 1088, 65535, 65536, 69631, 4194303, 4194304, 2**31 - 1]


async def board_in_order(database: Database, board: Board) -> list[tuple[int, int]]:
    """The board ranked by hand: (user id, value), highest value first, then the higher id."""
    scope = (
        LeaderboardEntry.guild_id.is_(None)
        if board.guild_id is None
        else LeaderboardEntry.guild_id == board.guild_id
    )
    async with database.session() as session:
        rows = await session.execute(
            select(LeaderboardEntry.user_id, LeaderboardEntry.value).where(
                scope,
                LeaderboardEntry.category == board.category,
                LeaderboardEntry.period == board.period.value,
                LeaderboardEntry.period_start == board.start,
                LeaderboardEntry.value > 0,
            )
        )
        return sorted(((int(u), int(v)) for u, v in rows), key=lambda row: (-row[1], -row[0]))


async def assert_ranks_exact(database: Database, board: Board, members: list[int]) -> None:
    rankings = DatabaseRankings(database)
    ordered = board_in_order(database, board)
    expected = {user_id: (place, value) for place, (user_id, value) in enumerate(await ordered, 1)}
    assert await rankings.size(board) == len(expected)
    for member in members:
        entry = await rankings.rank(board, member)
        found = None if entry is None else (entry.rank, entry.value)
        assert found == expected.get(member), member


async def bucket_rows(database: Database) -> list[tuple[object, ...]]:
    async with database.session() as session:
        rows = await session.execute(
            select(
                RankBucket.scope,
                RankBucket.category,
                RankBucket.period,
                RankBucket.period_start,
                RankBucket.bucket,
                func.count(),
                func.sum(RankBucket.members),
            ).group_by(
                RankBucket.scope,
                RankBucket.category,
                RankBucket.period,
                RankBucket.period_start,
                RankBucket.bucket,
            )
        )
        return [tuple(row) for row in rows]


def test_buckets_are_exact_below_1024_and_widen_above() -> None:
    assert [rank_bucket(value) for value in (1, 1023, 1024, 1087, 1088)] == [
        (1, 2),
        (1023, 1024),
        (1024, 1088),
        (1024, 1088),
        (1088, 1152),
    ]
    assert rank_bucket(65536) == (65536, 69632)
    assert rank_bucket(4194304) == (4194304, 4456448)
    assert all(start <= v < end for v in EDGES for start, end in [rank_bucket(v)])


async def test_counts_follow_direct_writes_and_folding_keeps_them(database: Database) -> None:
    rng = random.Random(17)
    board = Board("xp", Period.ALL_TIME, GUILD, START)
    members = list(range(1, 401))
    values = [
        *EDGES,
        *(rng.choice([rng.randint(1, 40), rng.randint(1, 10**7)]) for _ in range(388)),
    ]
    async with database.session() as session:
        await session.execute(insert(User), [{"id": m, "username": ""} for m in members])
        await session.execute(
            insert(LeaderboardEntry),
            [
                {
                    "user_id": member,
                    "guild_id": scope,
                    "category": "xp",
                    "period": Period.ALL_TIME.value,
                    "period_start": START,
                    "value": value,
                }
                for member, value in zip(members, values, strict=True)
                for scope in (GUILD, None)
            ],
        )
        await session.commit()
    await assert_ranks_exact(database, board, members)
    await assert_ranks_exact(database, Board("xp", Period.ALL_TIME, None, START), members)

    async with database.session() as session:
        for member in rng.sample(members, 120):  # raises, falls, to 0 and back across buckets
            await session.execute(
                update(LeaderboardEntry)
                .where(LeaderboardEntry.user_id == member, LeaderboardEntry.guild_id == GUILD)
                .values(value=rng.choice([0, -3, rng.randint(1, 5000), rng.randint(1, 10**8)]))
            )
        await session.execute(delete(User).where(User.id.in_(members[::7])))  # cascades
        await session.commit()
    await assert_ranks_exact(database, board, members)

    await fold_rank_buckets(database, 0)
    rows = await bucket_rows(database)
    assert all(count == 1 and total != 0 for *_, count, total in rows)
    assert all(rank_bucket(int(str(row[4])))[0] == row[4] for row in rows)
    await assert_ranks_exact(database, board, members)
    await assert_ranks_exact(database, Board("xp", Period.ALL_TIME, None, START), members)


async def test_ranks_stay_exact_under_concurrent_saves_changes_and_folds(
    database: Database, make_gamification: GamificationFactory
) -> None:
    rng = random.Random(1717)
    processes = [make_gamification(database, bot_name=name) for name in ("hangman", "mod")]
    members = list(range(5001, 5061))
    now = datetime.now(UTC)

    async def awards(process: int) -> None:
        xp = processes[process].xp
        for _ in range(6):
            for member in rng.sample(members, 25):
                await xp.award_xp(member, rng.choice([1, 20, 900, 70_000]), "quest", guild_id=GUILD)
            await xp.flush()
            await processes[process].xp.store.fold_rank_buckets()

    async def administrators() -> None:
        xp = processes[0].xp
        for member in members[:12]:
            await xp.take_xp(GUILD, member, rng.randint(1, 2000), actor_id=1)
            await xp.give_xp(GUILD, member, rng.randint(1, 1_000_000), actor_id=1)
        await xp.reset_xp(GUILD, members[0], actor_id=1)

    await asyncio.gather(awards(0), awards(1), administrators())

    for scope in (GUILD, None):
        for period in (Period.ALL_TIME, Period.WEEKLY):
            await assert_ranks_exact(database, Board.current("xp", period, scope, now), members)
    await processes[1].xp.store.fold_rank_buckets()
    assert all(count == 1 for *_, count, _ in await bucket_rows(database))
    await assert_ranks_exact(database, Board.current("xp", Period.ALL_TIME, GUILD, now), members)


async def test_the_background_saver_folds_the_counts(
    database: Database, make_gamification: GamificationFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_behind, "FOLD_INTERVAL_SECONDS", 0.0)
    gamification = make_gamification(database, options=GamificationOptions(flush_interval=0.05))
    await gamification.start()
    for amount in (20, 2000, 90_000):  # three buckets, on the 8 boards of a guild and the fleet
        await gamification.xp.award_xp(ADA, amount, "quest", guild_id=GUILD)
        await gamification.xp.flush()

    async def folded() -> bool:
        rows = await bucket_rows(database)
        return len(rows) == 8 and all(count == 1 for *_, count, _ in rows)

    await eventually(folded)
    assert {(row[4], row[6]) for row in await bucket_rows(database)} == {(90112, 1)}
