"""The Spelling Bee's rows: puzzle channels, the words found each day, and members' records.

A found word is recorded in one transaction: the find, the guild's score of the day and the
finder's all-time record. The guild's day row is locked from its update to the commit, so the
finds of one guild and day are counted one after the other even when members send words at
the same moment; every counter is raised by an atomic upsert, never read and written back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from botfleet.bots.spelling_bee.services.channels import (
    NO_CHANNEL_STATE,
    GuildsWithoutChannel,
    new_generation,
)
from botfleet.cache import CacheHierarchy
from botfleet.cache.keys import CacheKeys
from botfleet.cache.records import GuildBoards
from botfleet.database.base import Database, changed_rows
from botfleet.database.models.spelling_bee import (
    SpellingBeeChannel,
    SpellingBeeDay,
    SpellingBeeFind,
    SpellingBeePuzzleStats,
)
from botfleet.services.privacy import registry

PRIVACY_NAME: Final = "spelling_bee"
STATS_PRIVACY_NAME: Final = "spelling_bee_stats"
CHANNEL_STATE: Final = "spelling_bee_channel"
"""The cache's name for a guild's puzzle channel (``CacheKeys.guild_state``)."""


def previous_day(puzzle_day: str) -> str:
    """The puzzle day before ``puzzle_day`` (both ``YYYY-MM-DD``)."""
    return (date.fromisoformat(puzzle_day) - timedelta(days=1)).isoformat()


@dataclass(frozen=True, slots=True)
class DailyPost:
    """A guild's daily post: where, when (``HH:MM`` in ``timezone``) and its timer key."""

    guild_id: int
    channel_id: int
    daily_time: str
    daily_key: str | None
    timezone: str | None = None
    """The IANA zone of ``daily_time``; None for UTC."""


@dataclass(frozen=True, slots=True)
class PuzzleChannel:
    """A guild's puzzle channel as this process knows it: ``channel_id`` None for none."""

    channel_id: int | None


@dataclass(frozen=True, slots=True)
class Find:
    """A word a guild found, in the order found."""

    word: str
    user_id: int | None


@dataclass(frozen=True, slots=True)
class FoundWord:
    """A word a member found, with what the record needs to know about it."""

    guild_id: int
    puzzle_day: str
    word: str
    user_id: int
    points: int
    pangram: bool
    genius_score: int
    """The guild's score that earns Genius on this puzzle."""
    queen_bee_score: int
    """The puzzle's maximum score: every word found."""


@dataclass(frozen=True, slots=True)
class PuzzleStats:
    """A member's all-time puzzle record in a server."""

    days_played: int = 0
    words_found: int = 0
    pangrams: int = 0
    points: int = 0
    best_day: int = 0
    current_streak: int = 0
    """Consecutive days played up to ``last_day``; see :meth:`streak_on` for today's."""
    best_streak: int = 0
    genius_days: int = 0
    queen_bee_days: int = 0
    last_day: str | None = None
    day_points: int = 0
    """Points found on ``last_day``."""

    def streak_on(self, puzzle_day: str) -> int:
        """The streak still alive on ``puzzle_day``: 0 once a whole day went unplayed."""
        if self.last_day in {puzzle_day, previous_day(puzzle_day)}:
            return self.current_streak
        return 0


@dataclass(frozen=True, slots=True)
class RecordedFind:
    """A find saved: the guild's score before and after it, and the finder's record after it."""

    score_before: int
    score: int
    stats: PuzzleStats
    first_of_day: bool
    """The finder's first word of the day: the day counts as played from now."""


_STATS_COLUMNS: Final = (
    SpellingBeePuzzleStats.days_played,
    SpellingBeePuzzleStats.words_found,
    SpellingBeePuzzleStats.pangrams,
    SpellingBeePuzzleStats.points,
    SpellingBeePuzzleStats.best_day,
    SpellingBeePuzzleStats.current_streak,
    SpellingBeePuzzleStats.best_streak,
    SpellingBeePuzzleStats.genius_days,
    SpellingBeePuzzleStats.queen_bee_days,
    SpellingBeePuzzleStats.last_day,
    SpellingBeePuzzleStats.day_points,
)
"""The columns of :class:`PuzzleStats`, in its order."""


def _stats_of(row: SpellingBeePuzzleStats) -> PuzzleStats:
    return PuzzleStats(*(getattr(row, column.key) for column in _STATS_COLUMNS))


class BeeStore:
    """Reads and writes the Spelling Bee tables of one database."""

    def __init__(self, database: Database, cache: CacheHierarchy | None = None) -> None:
        self.database = database
        self.cache = cache
        """Holds each guild's puzzle channel, read for every one-word message (no query)."""
        self.without_channel = GuildsWithoutChannel()
        """The guilds without one, outside the cache's memory tier (see its module)."""
        self.finds_of_day = GuildBoards(cache, "spelling_bee_finds")
        """Each server's finds of a day, read by every /bee status: dropped at each new find."""

    async def set_channel(self, guild_id: int, channel_id: int, set_by: int) -> None:
        """Make ``channel_id`` the guild's puzzle channel (replacing any other)."""
        statement = self.database.upsert(SpellingBeeChannel).values(
            guild_id=guild_id, channel_id=channel_id, set_by=set_by
        )
        statement = statement.on_conflict_do_update(
            index_elements=["guild_id"],
            set_={"channel_id": channel_id, "set_by": set_by},
        )
        async with self.database.session() as session:
            had_none = (
                await session.scalar(
                    select(SpellingBeeChannel.channel_id).where(
                        SpellingBeeChannel.guild_id == guild_id
                    )
                )
                is None
            )
            await session.execute(statement)
            await session.commit()
        if self.cache is not None:
            if had_none:  # only a guild without a channel can be noted as having none
                await self.cache.invalidate(CacheKeys.bot_state(NO_CHANNEL_STATE))
            await self.cache.invalidate(CacheKeys.guild_state(guild_id, CHANNEL_STATE))

    async def set_daily(
        self,
        guild_id: int,
        daily_time: str | None,
        daily_key: str | None,
        timezone: str | None,
    ) -> None:
        """Set or clear the guild's daily post time and zone (its puzzle channel must exist)."""
        async with self.database.session() as session:
            await session.execute(
                update(SpellingBeeChannel)
                .where(SpellingBeeChannel.guild_id == guild_id)
                .values(daily_time=daily_time, daily_key=daily_key, timezone=timezone)
            )
            await session.commit()

    async def rekey_daily(self, guild_id: int, old_key: str | None, new_key: str) -> bool:
        """Give the guild's daily post a new key if it still has ``old_key``: False when an
        administrator changed or turned it off since it was read (their change wins)."""
        async with self.database.session() as session:
            changed = await session.execute(
                update(SpellingBeeChannel)
                .where(
                    SpellingBeeChannel.guild_id == guild_id,
                    SpellingBeeChannel.daily_time.is_not(None),
                    SpellingBeeChannel.daily_key.is_(None)
                    if old_key is None
                    else SpellingBeeChannel.daily_key == old_key,
                )
                .values(daily_key=new_key)
            )
            await session.commit()
            return changed_rows(changed) > 0

    async def timezone_of(self, guild_id: int) -> str | None:
        """The zone the guild's daily post is read in; None for UTC or no puzzle channel."""
        async with self.database.session() as session:
            zone: str | None = await session.scalar(
                select(SpellingBeeChannel.timezone).where(SpellingBeeChannel.guild_id == guild_id)
            )
            return zone

    async def daily_of(self, guild_id: int) -> DailyPost | None:
        for post in await self._daily_posts(SpellingBeeChannel.guild_id == guild_id):
            return post
        return None

    async def daily_posts(self) -> list[DailyPost]:
        """Every guild with a daily post, for re-arming their timers at start."""
        return await self._daily_posts(SpellingBeeChannel.daily_time.is_not(None))

    async def _daily_posts(self, condition: ColumnElement[bool]) -> list[DailyPost]:
        async with self.database.session() as session:
            rows = await session.scalars(select(SpellingBeeChannel).where(condition))
            return [
                DailyPost(row.guild_id, row.channel_id, row.daily_time, row.daily_key, row.timezone)
                for row in rows
                if row.daily_time is not None
            ]

    def known_channel(self, guild_id: int) -> PuzzleChannel | None:
        """The guild's puzzle channel if this process holds it in memory, without awaiting;
        None when it does not (then :meth:`channel_of` reads it)."""
        if self.cache is None:
            return None
        cached = self.cache.in_memory(CacheKeys.guild_state(guild_id, CHANNEL_STATE))
        if cached is not None:
            return PuzzleChannel(cached["channel_id"])
        generation = self.cache.in_memory(CacheKeys.bot_state(NO_CHANNEL_STATE))
        return PuzzleChannel(None) if self.without_channel.holds(guild_id, generation) else None

    async def channel_of(self, guild_id: int) -> int | None:
        """The guild's puzzle channel (None for none), through the cache; a guild without one
        is remembered too, outside the cache's memory tier, so chat in it costs no query."""

        async def load() -> dict[str, int | None] | None:
            async with self.database.session() as session:
                found: int | None = await session.scalar(
                    select(SpellingBeeChannel.channel_id).where(
                        SpellingBeeChannel.guild_id == guild_id
                    )
                )
            return None if found is None else {"channel_id": found}

        if self.cache is None:
            loaded = await load()
            return None if loaded is None else loaded["channel_id"]
        ttl = self.cache.ttl.guild_config
        key = CacheKeys.guild_state(guild_id, CHANNEL_STATE)
        channel: dict[str, int | None] | None = self.cache.in_memory(key)
        if channel is None:
            # Read before the database: a channel set meanwhile invalidates this generation.
            generation: str = await self.cache.get_or_load(
                CacheKeys.bot_state(NO_CHANNEL_STATE), new_generation, ttl
            )
            if self.without_channel.holds(guild_id, generation):
                return None
            channel = await self.cache.get_or_load(key, load, ttl)
            if channel is None:
                # Not under a generation invalidated meanwhile (the channel may be set now).
                if self.cache.in_memory(CacheKeys.bot_state(NO_CHANNEL_STATE)) == generation:
                    self.without_channel.note(guild_id, generation)
                return None
        return channel["channel_id"]

    async def finds(self, guild_id: int, puzzle_day: str) -> list[Find]:
        """The server's finds of the day, first found first, through the cache."""

        async def load() -> list[tuple[str, int | None]]:
            async with self.database.session() as session:
                rows = await session.execute(
                    select(SpellingBeeFind.word, SpellingBeeFind.user_id)
                    .where(
                        SpellingBeeFind.guild_id == guild_id,
                        SpellingBeeFind.puzzle_day == puzzle_day,
                    )
                    .order_by(SpellingBeeFind.found_at, SpellingBeeFind.word)
                )
                return [(word, user_id) for word, user_id in rows.all()]

        found = await self.finds_of_day.read(guild_id, puzzle_day, load)
        return [Find(word, user_id) for word, user_id in found]

    async def record_find(self, found: FoundWord, now: datetime) -> RecordedFind | None:
        """Record a find and raise the counters it touches; None when the guild had the word.

        Two members sending the same word at once make one find; the other gets None.
        """
        async with self.database.session() as session:
            added = (
                await session.execute(
                    self.database.upsert(SpellingBeeFind)
                    .values(
                        guild_id=found.guild_id,
                        puzzle_day=found.puzzle_day,
                        word=found.word,
                        user_id=found.user_id,
                    )
                    .on_conflict_do_nothing(index_elements=["guild_id", "puzzle_day", "word"])
                    .returning(SpellingBeeFind.word)
                )
            ).first()
            if added is None:
                return None
            score = await self._raise_day_score(session, found)
            score_before = score - found.points
            for threshold, column in (
                (found.genius_score, SpellingBeePuzzleStats.genius_days),
                (found.queen_bee_score, SpellingBeePuzzleStats.queen_bee_days),
            ):
                if score_before < threshold <= score:
                    await self._credit_todays_players(session, found, column)
            stats = await self._raise_record(session, found, score, now)
            await session.commit()
        await self.finds_of_day.forget(found.guild_id, found.puzzle_day)
        first = stats.last_day == found.puzzle_day and stats.day_points == found.points
        return RecordedFind(score_before, score, stats, first_of_day=first)

    async def _raise_day_score(self, session: AsyncSession, found: FoundWord) -> int:
        """Add the find's points to the guild's day; the row stays locked until the commit."""
        statement = (
            self.database.upsert(SpellingBeeDay)
            .values(guild_id=found.guild_id, puzzle_day=found.puzzle_day, score=found.points)
            .on_conflict_do_update(
                index_elements=["guild_id", "puzzle_day"],
                set_={"score": SpellingBeeDay.score + found.points},
            )
            .returning(SpellingBeeDay.score)
        )
        score: int = (await session.execute(statement)).scalar_one()
        return score

    @staticmethod
    async def _credit_todays_players(
        session: AsyncSession, found: FoundWord, column: InstrumentedAttribute[int]
    ) -> None:
        """The guild just reached a rank: every member who played today earns its day.

        Runs before the finder's own record is raised, so a finder new today is credited
        there instead, once.
        """
        table = SpellingBeePuzzleStats
        await session.execute(
            update(table)
            .where(table.guild_id == found.guild_id, table.last_day == found.puzzle_day)
            .values({column.key: column + 1})
            .execution_options(synchronize_session=False)
        )

    async def _raise_record(
        self, session: AsyncSession, found: FoundWord, score: int, now: datetime
    ) -> PuzzleStats:
        """The finder's record with the find added; day counters move only on a newer day.

        A find of an older day (sent just before midnight, saved just after the member's first
        word of the new day) adds to the totals only.
        """
        table = SpellingBeePuzzleStats
        day = found.puzzle_day
        same_day = table.last_day == day
        newer_day = table.last_day < day
        genius, queen_bee = int(score >= found.genius_score), int(score >= found.queen_bee_score)
        day_points = case(
            (same_day, table.day_points + found.points),
            (newer_day, found.points),
            else_=table.day_points,
        )
        streak = case(
            (same_day, table.current_streak),
            (table.last_day == previous_day(day), table.current_streak + 1),
            (newer_day, 1),
            else_=table.current_streak,
        )
        insert = self.database.upsert(table).values(
            guild_id=found.guild_id,
            user_id=found.user_id,
            days_played=1,
            words_found=1,
            pangrams=int(found.pangram),
            points=found.points,
            last_day=day,
            day_points=found.points,
            best_day=found.points,
            current_streak=1,
            best_streak=1,
            genius_days=genius,
            queen_bee_days=queen_bee,
            last_played_at=now,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["guild_id", "user_id"],
            set_={
                "days_played": table.days_played + case((newer_day, 1), else_=0),
                "words_found": table.words_found + 1,
                "pangrams": table.pangrams + int(found.pangram),
                "points": table.points + found.points,
                "last_day": case((newer_day, day), else_=table.last_day),
                "day_points": day_points,
                "best_day": self._larger(table.best_day, day_points),
                "current_streak": streak,
                "best_streak": self._larger(table.best_streak, streak),
                "genius_days": table.genius_days + case((newer_day, genius), else_=0),
                "queen_bee_days": table.queen_bee_days + case((newer_day, queen_bee), else_=0),
                "last_played_at": now,
            },
        ).returning(*_STATS_COLUMNS)
        return PuzzleStats(*(await session.execute(statement)).one())

    def _larger(self, first: Any, second: Any) -> Any:
        """SQL for the larger of two values (SQLite spells ``greatest`` as a two-argument max)."""
        if self.database.backend == "sqlite":
            return func.max(first, second)
        return func.greatest(first, second)

    async def stats(self, guild_id: int, user_id: int) -> PuzzleStats:
        async with self.database.session() as session:
            row = await session.get(SpellingBeePuzzleStats, (guild_id, user_id))
            return _stats_of(row) if row is not None else PuzzleStats()

    async def leaderboard(self, guild_id: int, size: int) -> list[tuple[int, PuzzleStats]]:
        """The server's best puzzle players of all time: most points, then most words."""
        table = SpellingBeePuzzleStats
        async with self.database.session() as session:
            rows = await session.scalars(
                select(table)
                .where(table.guild_id == guild_id)
                .order_by(table.points.desc(), table.words_found.desc(), table.user_id)
                .limit(size)
            )
            return [(row.user_id, _stats_of(row)) for row in rows]

    async def finds_by_user(self, guild_id: int, puzzle_day: str) -> dict[int, Sequence[str]]:
        """Each member's finds of the day, for the status board."""
        by_user: dict[int, list[str]] = {}
        for find in await self.finds(guild_id, puzzle_day):
            if find.user_id is not None:
                by_user.setdefault(find.user_id, []).append(find.word)
        return dict(by_user)


async def delete_user_data(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's name comes off their finds and puzzle channels."""
    statements = [
        update(SpellingBeeFind)
        .where(SpellingBeeFind.user_id == user_id)
        .values(user_id=None)
        .returning(SpellingBeeFind.word),
        update(SpellingBeeChannel)
        .where(SpellingBeeChannel.set_by == user_id)
        .values(set_by=None)
        .returning(SpellingBeeChannel.guild_id),
    ]
    removed = 0
    for statement in statements:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        removed += len(result.all())
    return removed


async def delete_puzzle_stats(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's puzzle records go, in every server."""
    statement = (
        delete(SpellingBeePuzzleStats)
        .where(SpellingBeePuzzleStats.user_id == user_id)
        .returning(SpellingBeePuzzleStats.guild_id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register(PRIVACY_NAME, delete_user_data)
registry.register(STATS_PRIVACY_NAME, delete_puzzle_stats)
