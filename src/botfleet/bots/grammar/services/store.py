"""The Grammar Bot's rows: auto-check channels and members' daily check counts.

Counts are added by one upsert per check (``INSERT ... ON CONFLICT DO UPDATE SET n = n + 1``),
so checks of one member running at once never lose an increment, on SQLite or PostgreSQL.
Only counts are kept, never the checked text. A member's counts are read through the cache
(``/grammar stats`` then costs no query) and each check drops them once committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.bots.grammar.services.issues import Category, Issue, Strictness
from botfleet.cache import CacheHierarchy
from botfleet.cache.records import MemberRecords
from botfleet.database.base import Database
from botfleet.database.models.grammar import (
    DIRECT_MESSAGE_GUILD_ID,
    GrammarChannel,
    GrammarDailySchedule,
    GrammarDailyStats,
    GrammarQuizAnswer,
)
from botfleet.services.privacy import count_deleted, registry

PRIVACY_NAME: Final = "grammar"
WEEK: Final = timedelta(days=7)

ISSUE_COLUMNS: Final[Mapping[Category, str]] = {
    category: f"{category.value}_issues" for category in Category
}
"""The stats column counting each category (``spelling`` → ``spelling_issues``)."""


def today() -> date:
    """The UTC day a check is counted on."""
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class AutoCheckChannel:
    """A channel whose messages are checked, and how strictly."""

    guild_id: int
    channel_id: int
    strictness: Strictness
    enabled_by: int | None
    enabled_at: datetime


@dataclass(frozen=True, slots=True)
class Tally:
    """Checks and what they found over some days."""

    checks: int = 0
    clean_checks: int = 0
    issues: Mapping[Category, int] = field(default_factory=dict)

    @property
    def total_issues(self) -> int:
        return sum(self.issues.values())

    @property
    def clean_rate(self) -> float | None:
        """Share of checks that found nothing; None without checks."""
        return self.clean_checks / self.checks if self.checks else None

    @property
    def issues_per_check(self) -> float | None:
        return self.total_issues / self.checks if self.checks else None

    def __add__(self, other: Tally) -> Tally:
        issues = Counter(self.issues)
        issues.update(other.issues)
        return Tally(
            self.checks + other.checks, self.clean_checks + other.clean_checks, dict(issues)
        )


@dataclass(frozen=True, slots=True)
class MemberStats:
    """A member's record in one guild: all time, the last seven days, and the seven before."""

    all_time: Tally
    this_week: Tally
    last_week: Tally
    first_day: date | None
    """The first day with a check, None when the member never checked anything."""


def _stored_guild(guild_id: int | None) -> int:
    """The guild id a member's counts are stored under (direct messages have their own)."""
    return DIRECT_MESSAGE_GUILD_ID if guild_id is None else guild_id


def _day_counts(row: GrammarDailyStats) -> tuple[str, int, int, dict[str, int]]:
    """One day's counts as cached: the day, checks, clean checks and issues found by kind."""
    issues = {category.value: getattr(row, column) for category, column in ISSUE_COLUMNS.items()}
    found = {category: count for category, count in issues.items() if count}
    return row.day.isoformat(), row.checks, row.clean_checks, found


def _issues(cached: Mapping[str, int]) -> dict[Category, int]:
    return {Category(category): count for category, count in cached.items()}


def _channel(row: GrammarChannel) -> AutoCheckChannel:
    return AutoCheckChannel(
        row.guild_id,
        row.channel_id,
        Strictness(row.strictness),
        row.enabled_by,
        row.enabled_at,
    )


class GrammarStore:
    """Reads and writes the Grammar Bot's tables."""

    def __init__(self, database: Database, cache: CacheHierarchy | None = None) -> None:
        self.database = database
        self.records = MemberRecords(cache, "grammar")

    # --- Auto-check channels ---------------------------------------------------------------

    async def enable_channel(
        self, guild_id: int, channel_id: int, strictness: Strictness, enabled_by: int
    ) -> AutoCheckChannel:
        """Turn auto-check on in a channel, or change its strictness when it is on already."""
        statement = self.database.upsert(GrammarChannel).values(
            channel_id=channel_id,
            guild_id=guild_id,
            strictness=strictness.value,
            enabled_by=enabled_by,
            enabled_at=datetime.now(UTC),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[GrammarChannel.channel_id],
            set_={
                "strictness": statement.excluded.strictness,
                "enabled_by": statement.excluded.enabled_by,
                "enabled_at": statement.excluded.enabled_at,
            },
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
            row = await session.get(GrammarChannel, channel_id, populate_existing=True)
        assert row is not None
        return _channel(row)

    async def disable_channel(self, guild_id: int, channel_id: int) -> bool:
        """Turn auto-check off in a channel of ``guild_id``; False when it was not on."""
        async with self.database.session() as session:
            removed = await count_deleted(
                session,
                delete(GrammarChannel).where(
                    GrammarChannel.guild_id == guild_id, GrammarChannel.channel_id == channel_id
                ),
                GrammarChannel.channel_id,
            )
            await session.commit()
        return removed > 0

    async def channels(self, guild_id: int) -> list[AutoCheckChannel]:
        """The guild's auto-check channels, oldest first."""
        async with self.database.session() as session:
            rows = await session.scalars(
                select(GrammarChannel)
                .where(GrammarChannel.guild_id == guild_id)
                .order_by(GrammarChannel.enabled_at, GrammarChannel.channel_id)
            )
            return [_channel(row) for row in rows]

    # --- Statistics ------------------------------------------------------------------------

    async def record_check(
        self,
        user_id: int,
        guild_id: int | None,
        issues: Iterable[Issue],
        *,
        day: date | None = None,
    ) -> int:
        """Count one check of a member's own text; return their clean checks of that day.

        The returned count lets a caller cap what clean checks earn in a day.
        """
        by_category = Counter(issue.category for issue in issues)
        clean = 0 if by_category else 1
        counts: dict[str, Any] = {"checks": 1, "clean_checks": clean}
        counts.update({ISSUE_COLUMNS[category]: n for category, n in by_category.items()})
        table = cast(Table, GrammarDailyStats.__table__)
        insert = self.database.upsert(GrammarDailyStats).values(
            user_id=user_id,
            guild_id=_stored_guild(guild_id),
            day=day or today(),
            **counts,
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.guild_id, table.c.day],
            set_={column: table.c[column] + amount for column, amount in counts.items()},
        ).returning(table.c.clean_checks)
        async with self.database.session() as session:
            clean_today = (await session.execute(statement)).scalar_one()
            await session.commit()
        await self.records.forget(user_id, _stored_guild(guild_id))
        return int(clean_today)

    async def member_stats(
        self, user_id: int, guild_id: int | None, *, day: date | None = None
    ) -> MemberStats:
        """A member's record in a guild (None: their checks in direct messages)."""
        until = day or today()
        stored_guild = _stored_guild(guild_id)

        async def load() -> list[tuple[str, int, int, dict[str, int]]]:
            async with self.database.session() as session:
                found = await session.scalars(
                    select(GrammarDailyStats).where(
                        GrammarDailyStats.user_id == user_id,
                        GrammarDailyStats.guild_id == stored_guild,
                    )
                )
                return [_day_counts(row) for row in found]

        rows = [
            (date.fromisoformat(day), Tally(checks, clean, _issues(issues)))
            for day, checks, clean, issues in await self.records.read(user_id, stored_guild, load)
        ]
        this_week_starts = until - WEEK + timedelta(days=1)
        last_week_starts = this_week_starts - WEEK
        all_time = this_week = last_week = Tally()
        for row_day, tally in rows:
            all_time += tally
            if this_week_starts <= row_day <= until:
                this_week += tally
            elif last_week_starts <= row_day < this_week_starts:
                last_week += tally
        first_day = min((row_day for row_day, _ in rows), default=None)
        return MemberStats(all_time, this_week, last_week, first_day)


async def delete_user_data(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's counts and quiz answers go; their name leaves the
    channels they enabled and the daily posts they set."""
    removed = await count_deleted(
        session,
        delete(GrammarDailyStats).where(GrammarDailyStats.user_id == user_id),
        GrammarDailyStats.day,
    )
    removed += await count_deleted(
        session,
        delete(GrammarQuizAnswer).where(GrammarQuizAnswer.user_id == user_id),
        GrammarQuizAnswer.post_id,
    )
    channels = await session.execute(
        update(GrammarChannel)
        .where(GrammarChannel.enabled_by == user_id)
        .values(enabled_by=None)
        .returning(GrammarChannel.channel_id)
        .execution_options(synchronize_session=False)
    )
    schedules = await session.execute(
        update(GrammarDailySchedule)
        .where(GrammarDailySchedule.set_by == user_id)
        .values(set_by=None)
        .returning(GrammarDailySchedule.guild_id)
        .execution_options(synchronize_session=False)
    )
    return removed + len(channels.all()) + len(schedules.all())


registry.register(PRIVACY_NAME, delete_user_data)
