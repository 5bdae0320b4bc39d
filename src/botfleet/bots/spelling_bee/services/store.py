"""The Spelling Bee's rows: each guild's puzzle channel and the words it found each day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.spelling_bee import SpellingBeeChannel, SpellingBeeFind
from botfleet.services.privacy import registry

PRIVACY_NAME: Final = "spelling_bee"


@dataclass(frozen=True, slots=True)
class DailyPost:
    """A guild's daily post: where, when (``HH:MM`` UTC) and its current timer key."""

    guild_id: int
    channel_id: int
    daily_time: str
    daily_key: str | None


@dataclass(frozen=True, slots=True)
class Find:
    """A word a guild found, in the order found."""

    word: str
    user_id: int | None


class BeeStore:
    """Reads and writes the Spelling Bee tables of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

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
            await session.execute(statement)
            await session.commit()

    async def set_daily(self, guild_id: int, daily_time: str | None, daily_key: str | None) -> None:
        """Set or clear the guild's daily post time (its puzzle channel must exist)."""
        async with self.database.session() as session:
            await session.execute(
                update(SpellingBeeChannel)
                .where(SpellingBeeChannel.guild_id == guild_id)
                .values(daily_time=daily_time, daily_key=daily_key)
            )
            await session.commit()

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
                DailyPost(row.guild_id, row.channel_id, row.daily_time, row.daily_key)
                for row in rows
                if row.daily_time is not None
            ]

    async def channel_of(self, guild_id: int) -> int | None:
        async with self.database.session() as session:
            found: int | None = await session.scalar(
                select(SpellingBeeChannel.channel_id).where(SpellingBeeChannel.guild_id == guild_id)
            )
            return found

    async def finds(self, guild_id: int, puzzle_day: str) -> list[Find]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(SpellingBeeFind.word, SpellingBeeFind.user_id)
                .where(
                    SpellingBeeFind.guild_id == guild_id, SpellingBeeFind.puzzle_day == puzzle_day
                )
                .order_by(SpellingBeeFind.found_at, SpellingBeeFind.word)
            )
            return [Find(word, user_id) for word, user_id in rows.all()]

    async def add_find(self, guild_id: int, puzzle_day: str, word: str, user_id: int) -> bool:
        """Record a find; False when the guild had it already (even found a moment ago)."""
        statement = (
            self.database.upsert(SpellingBeeFind)
            .values(guild_id=guild_id, puzzle_day=puzzle_day, word=word, user_id=user_id)
            .on_conflict_do_nothing(index_elements=["guild_id", "puzzle_day", "word"])
            .returning(SpellingBeeFind.word)
        )
        async with self.database.session() as session:
            added = (await session.execute(statement)).first()
            await session.commit()
            return added is not None

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


registry.register(PRIVACY_NAME, delete_user_data)
