"""The classic mode's rows: each member's record per server, and its data-deletion hook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.spelling_bee_classic import SpellingBeeClassicStats
from botfleet.services.privacy import registry

PRIVACY_NAME: Final = "spelling_bee_classic"


@dataclass(frozen=True, slots=True)
class GameRecord:
    """What one member did in one finished game."""

    user_id: int
    spelled: int
    missed: int
    best_run: int
    won: bool


@dataclass(frozen=True, slots=True)
class ClassicStats:
    """A member's classic record in a server."""

    games_played: int = 0
    games_won: int = 0
    words_spelled: int = 0
    words_missed: int = 0
    best_run: int = 0

    @property
    def accuracy(self) -> float:
        attempts = self.words_spelled + self.words_missed
        return self.words_spelled / attempts if attempts else 0.0


_COUNTERS: Final = (
    SpellingBeeClassicStats.games_played,
    SpellingBeeClassicStats.games_won,
    SpellingBeeClassicStats.words_spelled,
    SpellingBeeClassicStats.words_missed,
    SpellingBeeClassicStats.best_run,
)
"""The columns of :class:`ClassicStats`, in its order."""


def _stats_of(row: SpellingBeeClassicStats) -> ClassicStats:
    return ClassicStats(
        row.games_played, row.games_won, row.words_spelled, row.words_missed, row.best_run
    )


class ClassicStore:
    """Reads and writes the classic records of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(
        self, guild_id: int, records: Sequence[GameRecord], now: datetime
    ) -> dict[int, ClassicStats]:
        """Add a finished game to each player's record; the records after it, by member."""
        table = SpellingBeeClassicStats
        after: dict[int, ClassicStats] = {}
        async with self.database.session() as session:
            for game in records:
                insert = self.database.upsert(table).values(
                    guild_id=guild_id,
                    user_id=game.user_id,
                    games_played=1,
                    games_won=int(game.won),
                    words_spelled=game.spelled,
                    words_missed=game.missed,
                    best_run=game.best_run,
                    last_played=now,
                )
                statement = insert.on_conflict_do_update(
                    index_elements=["guild_id", "user_id"],
                    set_={
                        "games_played": table.games_played + 1,
                        "games_won": table.games_won + int(game.won),
                        "words_spelled": table.words_spelled + game.spelled,
                        "words_missed": table.words_missed + game.missed,
                        "best_run": func.max(table.best_run, game.best_run)
                        if self.database.backend == "sqlite"
                        else func.greatest(table.best_run, game.best_run),
                        "last_played": now,
                    },
                ).returning(*_COUNTERS)
                row = (await session.execute(statement)).one()
                after[game.user_id] = ClassicStats(*row)
            await session.commit()
        return after

    async def stats(self, guild_id: int, user_id: int) -> ClassicStats:
        async with self.database.session() as session:
            row = await session.get(SpellingBeeClassicStats, (guild_id, user_id))
            return _stats_of(row) if row is not None else ClassicStats()

    async def leaderboard(self, guild_id: int, size: int) -> list[tuple[int, ClassicStats]]:
        """The server's best spellers: most words spelled, then best run."""
        table = SpellingBeeClassicStats
        async with self.database.session() as session:
            rows = await session.scalars(
                select(table)
                .where(table.guild_id == guild_id, table.words_spelled > 0)
                .order_by(table.words_spelled.desc(), table.best_run.desc(), table.user_id)
                .limit(size)
            )
            return [(row.user_id, _stats_of(row)) for row in rows]


async def delete_user_data(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's classic records go, in every server."""
    statement = (
        delete(SpellingBeeClassicStats)
        .where(SpellingBeeClassicStats.user_id == user_id)
        .returning(SpellingBeeClassicStats.guild_id)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register(PRIVACY_NAME, delete_user_data)
