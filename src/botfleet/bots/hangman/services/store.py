"""Hangman's rows in the database: games in play, members' records and guild word lists.

Every move is saved with optimistic concurrency: a game row carries a version, and a move is
written only over the version it was computed from. The move that ends a game deletes its row
and records every player's result in the same transaction, so a result is never counted twice
and never lost. Members' records are read through the cache (``/hangman stats`` then costs no
query); the game's end invalidates its players' records in every process once committed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.bots.hangman.services.game import Board
from botfleet.bots.hangman.services.scoring import PlayerStats
from botfleet.bots.hangman.services.words import Difficulty, ListPolicy, length_difficulty
from botfleet.cache import CacheHierarchy
from botfleet.cache.records import MemberRecords
from botfleet.database.base import Database, changed_rows
from botfleet.database.models.hangman import HangmanGame, HangmanGuildWord, HangmanStats
from botfleet.errors import UserError
from botfleet.services.premium.perks import Allowance
from botfleet.services.privacy import registry
from botfleet.utils.wording import plural

PRIVACY_NAME: Final = "hangman"


class GameSource(StrEnum):
    """Where a game's word came from."""

    WORDS = "words"
    """The bundled lists."""
    GUILD = "guild"
    """A list the guild's admins made."""
    MEMBER = "member"
    """A member's own word, for others to guess; such games are just for fun (no records)."""


class GameEndedError(UserError):
    """A move on a game that has just ended (its row is gone)."""

    def __init__(self) -> None:
        super().__init__("This game has ended — start a new one with /hangman start.")


class ConcurrentMoveError(UserError):
    """Another move was saved between reading the game and saving this one."""

    def __init__(self) -> None:
        super().__init__("Someone else moved at the same moment — have a look and try again.")


@dataclass(frozen=True, slots=True)
class Game:
    """A game in play, as stored."""

    id: int
    guild_id: int
    channel_id: int
    board: Board
    category: str
    difficulty: Difficulty | None
    source: GameSource
    starter_id: int
    setter_id: int | None
    player_id: int | None
    participants: tuple[int, ...]
    version: int
    last_move_at: datetime
    timer_key: str | None = None
    board_message_id: int | None = None
    controls_message_id: int | None = None

    @property
    def solo(self) -> bool:
        """Whether one member alone may guess."""
        return self.player_id is not None

    @property
    def counts(self) -> bool:
        """Whether results go to members' records (not for a member's own word)."""
        return self.source is not GameSource.MEMBER

    def with_participant(self, user_id: int) -> Game:
        if user_id in self.participants:
            return self
        return replace(self, participants=(*self.participants, user_id))


@dataclass(frozen=True, slots=True)
class NewGame:
    """What starting a game stores."""

    guild_id: int
    channel_id: int
    secret: str
    category: str
    difficulty: Difficulty | None
    source: GameSource
    starter_id: int
    setter_id: int | None = None
    player_id: int | None = None
    participants: tuple[int, ...] = ()
    timer_key: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """One player's result of a finished game, before it is recorded."""

    user_id: int
    won: bool
    points: int
    flawless: bool


@dataclass(frozen=True, slots=True)
class RecordedResult:
    """One player's result and their record after it."""

    result: Result
    stats: PlayerStats


@dataclass(frozen=True, slots=True)
class AddedWords:
    """What adding words to a guild list did."""

    added: tuple[str, ...]
    already_there: tuple[str, ...]
    total: int
    """Words in the list now."""


class ChannelBusyError(UserError):
    """A game is already being played in the channel."""

    def __init__(self, game: Game) -> None:
        super().__init__(
            "A game is already running in this channel — play that one, or wait until it "
            "ends (`/hangman stop` ends it for its starter and moderators)."
        )
        self.game = game


def _game(row: HangmanGame) -> Game:
    board = Board(
        secret=row.word,
        guessed=tuple(row.guessed),
        wrong_words=tuple(row.wrong_words),
        hints=row.hints,
        solved=row.solved,
    )
    return Game(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        board=board,
        category=row.category,
        difficulty=Difficulty(row.difficulty) if row.difficulty is not None else None,
        source=GameSource(row.source),
        starter_id=row.starter_id,
        setter_id=row.setter_id,
        player_id=row.player_id,
        participants=tuple(row.participants),
        version=row.version,
        last_move_at=row.last_move_at,
        timer_key=row.timer_key,
        board_message_id=row.board_message_id,
        controls_message_id=row.controls_message_id,
    )


def _stats(row: HangmanStats | None) -> PlayerStats:
    if row is None:
        return PlayerStats()
    return PlayerStats(
        played=row.played,
        won=row.won,
        current_streak=row.current_streak,
        best_streak=row.best_streak,
        flawless=row.flawless,
        points=row.points,
    )


class GameStore:
    """Games in play and members' records."""

    def __init__(self, database: Database, cache: CacheHierarchy | None = None) -> None:
        self.database = database
        self.records = MemberRecords(cache, "hangman")

    async def create(self, new: NewGame, now: datetime) -> Game:
        """Store a new game; :class:`ChannelBusyError` when the channel has one already."""
        row = HangmanGame(
            guild_id=new.guild_id,
            channel_id=new.channel_id,
            starter_id=new.starter_id,
            setter_id=new.setter_id,
            player_id=new.player_id,
            word=new.secret,
            category=new.category,
            difficulty=new.difficulty.value if new.difficulty is not None else None,
            source=new.source.value,
            guessed="",
            wrong_words=[],
            hints=0,
            solved=False,
            participants=list(new.participants),
            version=0,
            timer_key=new.timer_key,
            created_at=now,
            last_move_at=now,
        )
        try:
            async with self.database.session() as session:
                session.add(row)
                await session.commit()
        except IntegrityError:
            existing = await self.in_channel(new.channel_id)
            if existing is None:
                raise
            raise ChannelBusyError(existing) from None
        return _game(row)

    async def get(self, game_id: int) -> Game | None:
        async with self.database.session() as session:
            row = await session.get(HangmanGame, game_id)
            return _game(row) if row is not None else None

    async def in_channel(self, channel_id: int) -> Game | None:
        statement = select(HangmanGame).where(HangmanGame.channel_id == channel_id)
        async with self.database.session() as session:
            row = (await session.scalars(statement)).first()
            return _game(row) if row is not None else None

    async def all_games(self) -> list[Game]:
        """Every game in play (for the inactivity timers after a restart)."""
        async with self.database.session() as session:
            rows = await session.scalars(select(HangmanGame).order_by(HangmanGame.id))
            return [_game(row) for row in rows]

    async def attach_messages(self, game: Game, board_id: int, controls_id: int) -> Game:
        """Remember the two messages a game is played on."""
        statement = (
            update(HangmanGame)
            .where(HangmanGame.id == game.id)
            .values(board_message_id=board_id, controls_message_id=controls_id)
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
        return replace(game, board_message_id=board_id, controls_message_id=controls_id)

    async def set_timer_key(self, game: Game, key: str) -> Game | None:
        """Make ``key`` the game's current timer (timers with other keys become stale); None
        when the game has ended."""
        statement = update(HangmanGame).where(HangmanGame.id == game.id).values(timer_key=key)
        async with self.database.session() as session:
            result = await session.execute(statement)
            await session.commit()
        return replace(game, timer_key=key) if changed_rows(result) else None

    async def save_move(self, game: Game, now: datetime) -> Game:
        """Write ``game`` over the version it was read at; the saved game has the next one."""
        statement = (
            update(HangmanGame)
            .where(HangmanGame.id == game.id, HangmanGame.version == game.version)
            .values(
                guessed="".join(game.board.guessed),
                wrong_words=list(game.board.wrong_words),
                hints=game.board.hints,
                solved=game.board.solved,
                participants=list(game.participants),
                version=game.version + 1,
                last_move_at=now,
            )
            .returning(HangmanGame.id)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            saved = (await session.execute(statement)).first()
            if saved is None:
                await self._explain_lost_race(session, game.id)
            await session.commit()
        return replace(game, version=game.version + 1, last_move_at=now)

    async def finish(
        self, game: Game, results: Sequence[Result], now: datetime
    ) -> list[RecordedResult]:
        """End ``game``: delete its row and record ``results``, in one transaction."""
        removed = (
            delete(HangmanGame)
            .where(HangmanGame.id == game.id, HangmanGame.version == game.version)
            .returning(HangmanGame.id)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            if (await session.execute(removed)).first() is None:
                await self._explain_lost_race(session, game.id)
            recorded = await self._record(session, game.guild_id, results, now)
            await session.commit()
        for result in results:
            await self.records.forget(result.user_id, game.guild_id)
        return recorded

    async def _explain_lost_race(self, session: AsyncSession, game_id: int) -> None:
        if await session.get(HangmanGame, game_id, populate_existing=True) is None:
            raise GameEndedError
        raise ConcurrentMoveError

    async def _record(
        self, session: AsyncSession, guild_id: int, results: Sequence[Result], now: datetime
    ) -> list[RecordedResult]:
        """Add each result to its player's record; rows are locked in user id order."""
        ordered = sorted(results, key=lambda result: result.user_id)
        if not ordered:
            return []
        create_missing = (
            self.database.upsert(HangmanStats)
            .values([{"guild_id": guild_id, "user_id": result.user_id} for result in ordered])
            .on_conflict_do_nothing(index_elements=["guild_id", "user_id"])
        )
        await session.execute(create_missing)
        statement = (
            select(HangmanStats)
            .where(
                HangmanStats.guild_id == guild_id,
                HangmanStats.user_id.in_([result.user_id for result in ordered]),
            )
            .order_by(HangmanStats.user_id)
            .with_for_update()
        )
        rows = {row.user_id: row for row in await session.scalars(statement)}
        recorded = []
        for result in ordered:
            row = rows[result.user_id]
            after = _stats(row).record(
                won=result.won, points=result.points, flawless=result.flawless
            )
            row.played = after.played
            row.won = after.won
            row.current_streak = after.current_streak
            row.best_streak = after.best_streak
            row.flawless = after.flawless
            row.points = after.points
            row.last_played_at = now
            recorded.append(RecordedResult(result, after))
        return recorded

    async def stats(self, guild_id: int, user_id: int) -> PlayerStats:
        """A member's record, from the cache when it holds it."""

        async def load() -> dict[str, int]:
            async with self.database.session() as session:
                return asdict(_stats(await session.get(HangmanStats, (guild_id, user_id))))

        return PlayerStats(**await self.records.read(user_id, guild_id, load))

    async def leaderboard(self, guild_id: int, limit: int) -> list[tuple[int, PlayerStats]]:
        """The guild's best players: most points, then most wins, then fewest games."""
        statement = (
            select(HangmanStats)
            .where(HangmanStats.guild_id == guild_id, HangmanStats.played > 0)
            .order_by(
                HangmanStats.points.desc(),
                HangmanStats.won.desc(),
                HangmanStats.played,
                HangmanStats.user_id,
            )
            .limit(limit)
        )
        async with self.database.session() as session:
            return [(row.user_id, _stats(row)) for row in await session.scalars(statement)]


@dataclass(frozen=True, slots=True)
class GuildList:
    """A guild's word list: its name, how many words it has, and what it lets in."""

    name: str
    size: int
    policy: ListPolicy


class GuildWordStore:
    """The word lists a guild's admins made."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def lists(self, guild_id: int) -> list[GuildList]:
        """The guild's lists by name, with their sizes."""
        statement = (
            select(HangmanGuildWord.list_name, func.count(), func.min(HangmanGuildWord.policy))
            .where(HangmanGuildWord.guild_id == guild_id)
            .group_by(HangmanGuildWord.list_name)
            .order_by(HangmanGuildWord.list_name)
        )
        async with self.database.session() as session:
            rows = await session.execute(statement)
            return [GuildList(name, size, ListPolicy(policy)) for name, size, policy in rows]

    async def policy(self, guild_id: int, list_name: str) -> ListPolicy | None:
        """The policy the list was made with; None when the guild has no such list."""
        statement = (
            select(HangmanGuildWord.policy)
            .where(HangmanGuildWord.guild_id == guild_id, HangmanGuildWord.list_name == list_name)
            .limit(1)
        )
        async with self.database.session() as session:
            found = await session.scalar(statement)
        return None if found is None else ListPolicy(found)

    async def words(self, guild_id: int, list_name: str) -> tuple[str, ...]:
        statement = (
            select(HangmanGuildWord.word)
            .where(HangmanGuildWord.guild_id == guild_id, HangmanGuildWord.list_name == list_name)
            .order_by(HangmanGuildWord.word)
        )
        async with self.database.session() as session:
            return tuple(await session.scalars(statement))

    async def add(
        self,
        guild_id: int,
        list_name: str,
        words: Iterable[str],
        *,
        added_by: int,
        policy: ListPolicy,
        max_lists: Allowance,
        max_words: Allowance,
        premium: bool,
        now: datetime,
    ) -> AddedWords:
        """Add valid, checked words (see ``to_secret``) to a list, within the guild's limits
        (raised where ``premium`` covers the member adding them).

        ``policy`` is the list's: the one it was made with, or the one a new list is made with.
        """
        most_lists, most_words = max_lists.limit(premium), max_words.limit(premium)
        wanted = tuple(dict.fromkeys(words))
        async with self.database.session() as session:
            existing = set(
                await session.scalars(
                    select(HangmanGuildWord.word).where(
                        HangmanGuildWord.guild_id == guild_id,
                        HangmanGuildWord.list_name == list_name,
                    )
                )
            )
            if not existing:
                names = await session.scalars(
                    select(HangmanGuildWord.list_name)
                    .where(HangmanGuildWord.guild_id == guild_id)
                    .distinct()
                )
                if len(list(names)) >= most_lists:
                    raise UserError(
                        f"This server has {plural(most_lists, 'list')} already, the most it may "
                        "keep; delete one with `/hangman words delete` first."
                        + max_lists.upsell(premium, "list")
                    )
            new = tuple(word for word in wanted if word not in existing)
            if len(existing) + len(new) > most_words:
                raise UserError(
                    f"“{list_name}” has {plural(len(existing), 'word')} and may hold {most_words}; "
                    f"adding {len(new)} more is too many." + max_words.upsell(premium, "word")
                )
            session.add_all(
                HangmanGuildWord(
                    guild_id=guild_id,
                    list_name=list_name,
                    word=word,
                    added_by=added_by,
                    added_at=now,
                    policy=policy,
                )
                for word in new
            )
            try:
                await session.commit()
            except IntegrityError:
                raise UserError(
                    f"Someone changed “{list_name}” at the same moment; please try again."
                ) from None
        return AddedWords(
            added=new,
            already_there=tuple(word for word in wanted if word in existing),
            total=len(existing) + len(new),
        )

    async def remove(self, guild_id: int, list_name: str, words: Iterable[str]) -> int:
        """Remove words from a list; returns how many were there."""
        return await self._delete_words(
            HangmanGuildWord.guild_id == guild_id,
            HangmanGuildWord.list_name == list_name,
            HangmanGuildWord.word.in_(list(words)),
        )

    async def delete_list(self, guild_id: int, list_name: str) -> int:
        """Delete a whole list; returns how many words it had."""
        return await self._delete_words(
            HangmanGuildWord.guild_id == guild_id, HangmanGuildWord.list_name == list_name
        )

    async def _delete_words(self, *conditions: ColumnElement[bool]) -> int:
        """Delete the list words that meet ``conditions``; returns how many there were."""
        statement = (
            delete(HangmanGuildWord)
            .where(*conditions)
            .returning(HangmanGuildWord.word)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            removed = len((await session.execute(statement)).all())
            await session.commit()
        return removed

    async def pick(
        self, guild_id: int, list_name: str, difficulty: Difficulty | None, rng: random.Random
    ) -> tuple[str, Difficulty]:
        """A random word of a guild list, of ``difficulty`` (by length) when one is asked."""
        words = await self.words(guild_id, list_name)
        if not words:
            raise UserError(f"This server has no list called “{list_name}”.")
        candidates = [
            word for word in words if difficulty is None or length_difficulty(word) is difficulty
        ]
        if not candidates:
            raise UserError(
                f"“{list_name}” has no {difficulty} words (by length: easy up to 6 letters, "
                "medium 7 to 9, hard 10 or more); try another difficulty."
            )
        word = rng.choice(candidates)
        return word, length_difficulty(word)


async def delete_user_data(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's records, their games, their name on lists."""
    removed = 0
    statements = [
        delete(HangmanStats).where(HangmanStats.user_id == user_id).returning(HangmanStats.user_id),
        delete(HangmanGame)
        .where(
            (HangmanGame.starter_id == user_id)
            | (HangmanGame.setter_id == user_id)
            | (HangmanGame.player_id == user_id)
        )
        .returning(HangmanGame.id),
        update(HangmanGuildWord)
        .where(HangmanGuildWord.added_by == user_id)
        .values(added_by=None)
        .returning(HangmanGuildWord.word),
    ]
    for statement in statements:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        removed += len(result.all())
    for game in await session.scalars(select(HangmanGame)):
        if user_id in game.participants:
            game.participants = [member for member in game.participants if member != user_id]
            removed += 1
    return removed


registry.register(PRIVACY_NAME, delete_user_data)
