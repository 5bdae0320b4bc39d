"""Ranks read from ``leaderboard_entries`` through the ranking index.

A member's rank and a board's size come from the database's member counts per value bucket
(:mod:`botfleet.gamification.rank_buckets`) plus a short range of the ranking index, not from a
count of the board's entries.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models import LeaderboardEntry
from botfleet.database.models.gamification import RankBucket
from botfleet.gamification.boards import Board, RankedEntry
from botfleet.gamification.rank_buckets import board_buckets, rank_bucket


def board_filter(board: Board) -> list[ColumnElement[bool]]:
    """The board's ranked entries."""
    return [*board_rows(board), LeaderboardEntry.value > 0]


def board_rows(board: Board) -> list[ColumnElement[bool]]:
    """The board's entries, ranked or not (a range above a ranked value needs no more, and
    SQLite would scan from the lower of two lower bounds)."""
    scope = (
        LeaderboardEntry.guild_id.is_(None)
        if board.guild_id is None
        else LeaderboardEntry.guild_id == board.guild_id
    )
    return [
        scope,
        LeaderboardEntry.category == board.category,
        LeaderboardEntry.period == board.period.value,
        LeaderboardEntry.period_start == board.start,
    ]


class DatabaseRankings:
    """Ranks read from ``leaderboard_entries`` through the ranking index."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def top(self, board: Board, offset: int, count: int) -> list[RankedEntry]:
        statement = (
            select(LeaderboardEntry.user_id, LeaderboardEntry.value)
            .where(*board_filter(board))
            .order_by(LeaderboardEntry.value.desc(), LeaderboardEntry.user_id.desc())
            .offset(offset)
            .limit(count)
        )
        async with self._database.session() as session:
            rows = (await session.execute(statement)).all()
        return [
            RankedEntry(offset + index + 1, user_id, value)
            for index, (user_id, value) in enumerate(rows)
        ]

    async def size(self, board: Board) -> int:
        """The board's ranked members: a sum over its bucket counts, not a count of entries."""
        statement = select(func.coalesce(func.sum(RankBucket.members), 0)).where(
            *_bucket_filter(board)
        )
        async with self._database.session() as session:
            return int(await session.scalar(statement) or 0)

    async def rank(self, board: Board, user_id: int) -> RankedEntry | None:
        async with self._database.session() as session:
            value = await session.scalar(
                select(LeaderboardEntry.value).where(
                    *board_filter(board), LeaderboardEntry.user_id == user_id
                )
            )
            if value is None:
                return None
            ahead = await _ahead(session, board, value, user_id)
        return RankedEntry(ahead + 1, user_id, value)

    async def beside(
        self, board: Board, anchor: RankedEntry, count: int, *, after: bool
    ) -> list[RankedEntry]:
        """Up to ``count`` entries ranked strictly after ``anchor``'s value and member (or
        before), with their ranks now, wherever the anchor itself stands now."""
        value, user_id = LeaderboardEntry.value, LeaderboardEntry.user_id
        # Ties with the anchor, then the values past it: two short ranges of the ranking index
        # (the anchor's value is ranked, so a range at or above it needs no bound at 0).
        columns = select(user_id, value).where(*board_rows(board))
        if after:
            ties = columns.where(value == anchor.value, user_id < anchor.user_id)
            ties = ties.order_by(user_id.desc())
            past = select(user_id, value).where(*board_filter(board), value < anchor.value)
            past = past.order_by(value.desc(), user_id.desc())
        else:
            ties = columns.where(value == anchor.value, user_id > anchor.user_id)
            ties = ties.order_by(user_id.asc())
            past = columns.where(value > anchor.value).order_by(value.asc(), user_id.asc())
        async with self._database.session() as session:
            rows = list((await session.execute(ties.limit(count))).all())
            if len(rows) < count:
                rows += (await session.execute(past.limit(count - len(rows)))).all()
            if not after:
                rows.reverse()
            if not rows:
                return []
            first_member, first_value = rows[0]
            first = await _ahead(session, board, first_value, first_member) + 1
        return [
            RankedEntry(first + index, member, points)
            for index, (member, points) in enumerate(rows)
        ]


async def _ahead(session: AsyncSession, board: Board, value: int, user_id: int) -> int:
    """How many entries rank ahead of ``value`` held by ``user_id``."""
    rows = board_rows(board)
    start, end = rank_bucket(value)
    last = end - 1  # the bucket's last value (its end may not fit the column)
    ahead = (
        await session.execute(
            select(
                # The members of every higher bucket, from their counts...
                select(func.coalesce(func.sum(RankBucket.members), 0))
                .where(*_bucket_filter(board), RankBucket.bucket > start)
                .scalar_subquery(),
                # ...those above the value in its bucket, and the ties ranked ahead: two
                # short ranges of the ranking index (written apart, as PostgreSQL misjudges
                # a row comparison's range).
                _count_entries(
                    rows, LeaderboardEntry.value > value, LeaderboardEntry.value <= last
                ),
                _count_entries(
                    rows, LeaderboardEntry.value == value, LeaderboardEntry.user_id > user_id
                ),
            )
        )
    ).one()
    return sum(int(part) for part in ahead)


def _bucket_filter(board: Board) -> list[ColumnElement[bool]]:
    return board_buckets(board.guild_id, board.category, board.period.value, board.start)


def _count_entries(
    filters: list[ColumnElement[bool]], *conditions: ColumnElement[bool]
) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(LeaderboardEntry)
        .where(*filters, *conditions)
        .scalar_subquery()
    )
