"""Member counts per value bucket of every board, for ranks and sizes without a full count.

Triggers on ``leaderboard_entries`` (migration 0023) add a row of +1 or -1 to
``leaderboard_rank_buckets`` whenever an entry enters a board (value above 0), leaves it or moves
to another bucket, in the transaction that changed the entry: every write path keeps the counts,
and concurrent saves only insert rows, so they never wait on one another there. A bucket's
count is the sum of its rows; :func:`fold_rank_buckets` folds them into one row per bucket.

Buckets are exact below 1,024 (where most members are), then 64 wide up to 65,536, 4,096 wide up
to 4,194,304, and 262,144 wide beyond: a board has at most a few thousand buckets whatever its
size, and a bucket above the exact ones holds few members.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import ColumnElement, delete, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.gamification import RankBucket

_WIDTHS: Final = ((1024, 1), (65536, 64), (4194304, 4096))
_WIDEST: Final = 262144
FOLD_LOCK: Final = 0x72616E6B
"""The PostgreSQL advisory lock that lets one process fold at a time."""


def rank_bucket(value: int) -> tuple[int, int]:
    """The first value of ``value``'s bucket and the first of the next one (as the triggers)."""
    width = next((width for limit, width in _WIDTHS if value < limit), _WIDEST)
    start = value - value % width
    return start, start + width


def board_buckets(
    guild_id: int | None, category: str, period: str, period_start: date
) -> list[ColumnElement[bool]]:
    """The bucket rows of one board."""
    return [
        RankBucket.scope == (guild_id or 0),
        RankBucket.category == category,
        RankBucket.period == period,
        RankBucket.period_start == period_start,
    ]


_KEY: Final = (
    RankBucket.scope,
    RankBucket.category,
    RankBucket.period,
    RankBucket.period_start,
    RankBucket.bucket,
)

_POSTGRESQL_FOLD: Final = text(
    """
    WITH touched AS (
        SELECT scope, category, period, period_start, bucket FROM leaderboard_rank_buckets
        WHERE (scope, category, period, period_start, bucket) IN (
            SELECT scope, category, period, period_start, bucket FROM leaderboard_rank_buckets
            WHERE id > :after
        )
        GROUP BY scope, category, period, period_start, bucket HAVING COUNT(*) > 1
    ), gone AS (
        DELETE FROM leaderboard_rank_buckets AS b USING touched AS t
        WHERE (b.scope, b.category, b.period, b.period_start, b.bucket)
            = (t.scope, t.category, t.period, t.period_start, t.bucket)
        RETURNING b.scope, b.category, b.period, b.period_start, b.bucket, b.members
    )
    INSERT INTO leaderboard_rank_buckets (scope, category, period, period_start, bucket, members)
    SELECT scope, category, period, period_start, bucket, SUM(members) FROM gone
    GROUP BY scope, category, period, period_start, bucket HAVING SUM(members) <> 0
    """
)


async def fold_rank_buckets(database: Database, after: int) -> int:
    """Fold the rows of every bucket that changed after row ``after`` into one row each (or
    none when its count is 0); return the highest row id, the next call's ``after``.

    Counts stay exact while saves run: on PostgreSQL the rows summed are the rows deleted (one
    statement); on SQLite the fold holds the one write lock from its first statement.
    """
    async with database.session() as session:
        if database.backend == "postgresql":
            await session.execute(select(func.pg_advisory_xact_lock(FOLD_LOCK)))
            await session.execute(_POSTGRESQL_FOLD, {"after": after})
        else:
            # A write first, so this transaction holds SQLite's one write lock before it reads.
            await session.execute(
                update(RankBucket).where(RankBucket.id == 0).values(members=RankBucket.members)
            )
            top = await session.scalar(select(func.max(RankBucket.id)))
            if top is not None:
                await _fold_sqlite(session, after, int(top))
        highest = await session.scalar(select(func.max(RankBucket.id)))
        await session.commit()
    return int(highest or 0)


async def _fold_sqlite(session: AsyncSession, after: int, top: int) -> None:
    changed = select(*_KEY).where(RankBucket.id > after, RankBucket.id <= top)
    settled = RankBucket.id <= top
    touched = (
        select(*_KEY)
        .where(tuple_(*_KEY).in_(changed), settled)
        .group_by(*_KEY)
        .having(func.count() > 1)
    )
    sums = (
        await session.execute(
            select(*_KEY, func.sum(RankBucket.members))
            .where(tuple_(*_KEY).in_(touched), settled)
            .group_by(*_KEY)
        )
    ).all()
    if not sums:
        return
    await session.execute(delete(RankBucket).where(tuple_(*_KEY).in_(touched), settled))
    rows = [
        {
            "scope": scope,
            "category": category,
            "period": period,
            "period_start": start,
            "bucket": bucket,
            "members": members,
        }
        for scope, category, period, start, bucket, members in sums
        if members
    ]
    if rows:
        await session.execute(insert(RankBucket), rows)
