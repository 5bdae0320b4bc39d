"""Playing Hangman: starting games, moves by members, endings, records and rewards.

The commands and buttons call this with plain ids and text; it decides who may play, applies
the rules of :mod:`~botfleet.bots.hangman.services.game`, saves every move, and ends games that
are won, lost, given up or left idle. Moves on one game run one at a time in this process, and
the version check of the store refuses a move computed from an outdated board in any other.

**Games in memory.** The process keeps the games it saved last, so a press computes its move
without reading the game first (one write per press, not a read and a write). The version check
still guards the write: when another process moved meanwhile, the copy is dropped and the press
is played once more on the stored game.

**Inactivity.** Every game has one inactivity timer (the scheduler's ``hangman_timeout``
event), named by a key stored with the game. When it fires, a game idle for the whole timeout
ends; a game that saw a move meanwhile is checked again a timeout after that move. At start-up
each game in play gets a fresh key and timer, so a timer lost in a crash cannot leave a game
running forever, and the old timers, with stale keys, do nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services.game import Board, Outcome
from botfleet.bots.hangman.services.rewards import RewardReporter
from botfleet.bots.hangman.services.scoring import PlayerStats, points_for
from botfleet.bots.hangman.services.store import (
    AddedWords,
    ConcurrentMoveError,
    Game,
    GameEndedError,
    GameSource,
    GameStore,
    GuildList,
    GuildWordStore,
    NewGame,
    RecordedResult,
    Result,
)
from botfleet.bots.hangman.services.words import (
    Difficulty,
    ListPolicy,
    WordBank,
    WordListError,
    fold,
    to_list_name,
    to_secret,
)
from botfleet.cache import CacheHierarchy
from botfleet.database.base import Database
from botfleet.errors import UserError
from botfleet.gamification import LevelUp
from botfleet.services.premium import PremiumService
from botfleet.services.premium.perks import Allowance
from botfleet.services.scheduler import Scheduler
from botfleet.utils.tasks import Preload

log = logging.getLogger(__name__)

TIMEOUT_EVENT: Final = "hangman_timeout"
"""Handled as ``on_hangman_timeout_timer_complete``."""
MEMBER_CATEGORY: Final = "a member's word"
MAX_WORDS_PER_CHANGE: Final = 100
"""Words one ``/hangman words add`` or ``remove`` takes."""
GAMES_IN_MEMORY: Final = 10_000
"""Games in play a process keeps as it saved them last; one evicted is read again when pressed."""
WORDS_UNAVAILABLE: Final = (
    "The word lists could not be read, so Hangman cannot pick a word. The bot's operator can "
    "see why in its log; the lists are read again when the bot restarts."
)
NEW_LIST_NEEDS_BUNDLED: Final = (
    "The bundled categories could not be read, and a new list must not take one of their "
    "names, so new lists wait until they can be read again (the bot's operator can see why "
    "in its log). This server's existing lists can still be changed."
)


def _bundled_unavailable(guild_lists: Iterable[str]) -> str:
    """The answer to a game the bundled lists were needed for, naming the server's own."""
    names = ", ".join(sorted(guild_lists))
    if not names:
        return WORDS_UNAVAILABLE
    return (
        "The bundled categories could not be read (the bot's operator can see why in its log); "
        f"this server's own lists still play: {names}."
    )


class Ending(StrEnum):
    """How a game ended."""

    SOLVED = "solved"
    OUT_OF_LIVES = "out_of_lives"
    GAVE_UP = "gave_up"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, slots=True)
class Finish:
    """A game's end: how, by whom, and what each player got."""

    ending: Ending
    by: int | None
    """The member who solved it, made the last miss or gave up; None for a timeout."""
    results: tuple[RecordedResult, ...]


@dataclass(frozen=True, slots=True)
class Move:
    """A move and the game after it."""

    game: Game
    before: Board
    """The board before the move (the same board for an ending without a move)."""
    outcome: Outcome | None = None
    letter: str | None = None
    """The letter guessed, or revealed by a hint."""
    finish: Finish | None = None


class _Locks:
    """One lock per game, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, game_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(game_id, (asyncio.Lock(), 0))
        self._locks[game_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[game_id]
            if users == 1:
                del self._locks[game_id]
            else:
                self._locks[game_id] = (lock, users - 1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HangmanService:
    """The Hangman Bot's game logic over its database, word lists, timers and rewards."""

    def __init__(
        self,
        database: Database,
        bank: Preload[WordBank],
        options: HangmanOptions,
        *,
        scheduler: Scheduler | None = None,
        rewards: RewardReporter | None = None,
        premium: PremiumService | None = None,
        cache: CacheHierarchy | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.bank = bank
        """The bundled word lists, read in the background once the bot is ready."""
        self.premium = premium
        self.options = options
        self.games = GameStore(database, cache)
        self.lists = GuildWordStore(database)
        self.scheduler = scheduler
        self.rewards = rewards
        # Which word comes up is a game mechanic, not a secret worth a CSPRNG.
        self._rng = rng or random.Random()  # noqa: S311  (a word to guess, not a secret)
        self._clock = clock
        self._locks = _Locks()
        self._playing: OrderedDict[int, Game] = OrderedDict()
        """Games in play as this process saved them last (see "Games in memory")."""

    async def word_bank(self) -> WordBank:
        """The bundled word lists; a friendly :class:`UserError` when they cannot be read.

        The load's error was logged once by the load itself (see :class:`Preload`); every
        game asked afterwards is told the lists are unavailable, with no traceback.
        """
        bank = await self.readable_word_bank()
        if bank is None:
            raise UserError(WORDS_UNAVAILABLE)
        return bank

    async def readable_word_bank(self) -> WordBank | None:
        """The bundled word lists, or None when they cannot be read (logged once by the load):
        what a server's own lists offer does not depend on them."""
        try:
            return await self.bank.get()
        except WordListError:
            return None

    @property
    def timeout(self) -> timedelta:
        return timedelta(seconds=self.options.inactivity_timeout)

    # --- Starting --------------------------------------------------------------------------

    async def start(
        self,
        *,
        guild_id: int,
        channel_id: int,
        starter_id: int,
        category: str | None = None,
        difficulty: Difficulty | None = None,
        solo: bool = False,
    ) -> Game:
        """Start a game with a word of the bundled lists or of one of the guild's lists.

        A guild's list plays even when the bundled lists cannot be read; a game that needs
        them (a bundled category, or one chosen at random) is then told they are unavailable.
        """
        name = fold(category) if category is not None else None
        bank = await self.readable_word_bank()
        if bank is not None and (name is None or bank.has(name)):
            level = difficulty or self.options.default_difficulty
            chosen, secret = bank.pick(name, level, self._rng)
            source, category_name = GameSource.WORDS, chosen.name
        else:
            guild_lists = {entry.name for entry in await self.lists.lists(guild_id)}
            if name is None or name not in guild_lists:
                if bank is None:  # the name may be a bundled category
                    raise UserError(_bundled_unavailable(guild_lists))
                known = [entry.name for entry in bank.categories] + sorted(guild_lists)
                raise UserError(
                    f"There is no category called “{category}”. Try one of: {', '.join(known)}."
                )
            secret, level = await self.lists.pick(guild_id, name, difficulty, self._rng)
            source, category_name = GameSource.GUILD, name
        return await self._create(
            NewGame(
                guild_id=guild_id,
                channel_id=channel_id,
                secret=secret,
                category=category_name,
                difficulty=level,
                source=source,
                starter_id=starter_id,
                player_id=starter_id if solo else None,
                participants=(starter_id,) if solo else (),
            )
        )

    async def start_with_word(
        self,
        *,
        guild_id: int,
        channel_id: int,
        setter_id: int,
        word: str,
        player_id: int | None = None,
    ) -> Game:
        """Start a game with a member's own word, for everyone or for one challenged member."""
        if player_id == setter_id:
            raise UserError("You know the word already — challenge someone else, or everyone!")
        return await self._create(
            NewGame(
                guild_id=guild_id,
                channel_id=channel_id,
                secret=to_secret(word),
                category=MEMBER_CATEGORY,
                difficulty=None,
                source=GameSource.MEMBER,
                starter_id=setter_id,
                setter_id=setter_id,
                player_id=player_id,
            )
        )

    async def _create(self, new: NewGame) -> Game:
        now = self._clock()
        key = secrets.token_hex(8)
        game = self._remember(await self.games.create(replace(new, timer_key=key), now))
        await self._schedule_check(game, now + self.timeout)
        log.info(
            "hangman game %d started in channel %d (%s, %s)",
            game.id,
            game.channel_id,
            game.source,
            game.category,
        )
        return game

    async def attach_messages(self, game: Game, board_id: int, controls_id: int) -> Game:
        """Remember the messages ``game`` is played on (on the copy of its latest move: a press
        may come as soon as the board is posted)."""
        async with self._locks.hold(game.id):
            latest = self._playing.get(game.id, game)
            return self._remember(await self.games.attach_messages(latest, board_id, controls_id))

    async def game_in_channel(self, channel_id: int) -> Game | None:
        return await self.games.in_channel(channel_id)

    # --- Moves -----------------------------------------------------------------------------

    async def guess_letter(
        self, game_id: int, user_id: int, letter: str, *, channel_id: int | None = None
    ) -> Move:
        """``user_id`` presses a letter (in ``channel_id``: see :meth:`_load`)."""

        def play(board: Board) -> tuple[Board, Outcome, str | None]:
            after, outcome = board.guess_letter(letter)
            return after, outcome, after.guessed[-1]

        return await self._play(game_id, user_id, play, channel_id)

    async def guess_word(
        self, game_id: int, user_id: int, word: str, *, channel_id: int | None = None
    ) -> Move:
        """``user_id`` guesses the whole word."""

        def play(board: Board) -> tuple[Board, Outcome, str | None]:
            after, outcome = board.guess_word(word)
            return after, outcome, None

        return await self._play(game_id, user_id, play, channel_id)

    async def hint(self, game_id: int, user_id: int, *, channel_id: int | None = None) -> Move:
        """``user_id`` buys a letter for a life."""
        if not self.options.hints:
            raise UserError("Hints are switched off for this bot.")

        def play(board: Board) -> tuple[Board, Outcome, str | None]:
            after, letter = board.hint(self._rng)
            return after, Outcome.HINT, letter

        return await self._play(game_id, user_id, play, channel_id)

    async def give_up(
        self,
        game_id: int,
        user_id: int,
        *,
        moderator: bool = False,
        channel_id: int | None = None,
    ) -> Move:
        """End a game now: its starter, solo player, word's setter or a moderator may."""
        async with self._locks.hold(game_id):
            game = await self._load(game_id, channel_id)
            allowed = {game.starter_id, game.player_id, game.setter_id}
            if user_id not in allowed and not moderator:
                raise UserError(f"Only <@{game.starter_id}> or a moderator can end this game.")
            finish = await self._finish(game, Ending.GAVE_UP, by=user_id)
            return Move(game, game.board, finish=finish)

    async def stop_in_channel(self, channel_id: int, user_id: int, *, moderator: bool) -> Move:
        """``/hangman stop``: give up the game of a channel."""
        game = await self.games.in_channel(channel_id)
        if game is None:
            raise UserError("No game is running in this channel.")
        return await self.give_up(game.id, user_id, moderator=moderator)

    async def _play(
        self,
        game_id: int,
        user_id: int,
        play: Callable[[Board], tuple[Board, Outcome, str | None]],
        channel_id: int | None = None,
    ) -> Move:
        async with self._locks.hold(game_id):
            from_memory = game_id in self._playing
            try:
                return await self._play_on(await self._load(game_id, channel_id), user_id, play)
            except (ConcurrentMoveError, GameEndedError):
                self._playing.pop(game_id, None)
                if not from_memory:
                    raise
            # The copy in memory was outdated (another process moved): play on the stored game.
            return await self._play_on(await self._load(game_id, channel_id), user_id, play)

    async def _play_on(
        self,
        game: Game,
        user_id: int,
        play: Callable[[Board], tuple[Board, Outcome, str | None]],
    ) -> Move:
        self._check_player(game, user_id)
        before = game.board
        board, outcome, letter = play(before)
        game = replace(game, board=board).with_participant(user_id)
        if board.over:
            ending = Ending.SOLVED if board.won else Ending.OUT_OF_LIVES
            finish = await self._finish(game, ending, by=user_id)
            return Move(game, before, outcome, letter, finish)
        game = self._remember(await self.games.save_move(game, self._clock()))
        return Move(game, before, outcome, letter)

    async def playable(self, game_id: int, user_id: int, *, channel_id: int | None = None) -> Game:
        """The game, if ``user_id`` may move in it now (before opening the guess form)."""
        game = await self._load(game_id, channel_id)
        self._check_player(game, user_id)
        return game

    async def discard(self, game: Game) -> None:
        """Drop a game that could not be shown (posting its board failed): no results."""
        async with self._locks.hold(game.id):
            self._playing.pop(game.id, None)
            await self.games.finish(game, [], self._clock())

    async def _load(self, game_id: int, channel_id: int | None = None) -> Game:
        """The game as this process saved it last, else as stored, if it still runs; with
        ``channel_id`` (where its button was pressed), only the game of that channel: a
        button's custom id names a game, and one naming a game elsewhere (another channel's or
        server's) must not move it."""
        game = self._playing.get(game_id) or await self.games.get(game_id)
        if game is None:
            raise GameEndedError
        if channel_id is not None and game.channel_id != channel_id:
            raise UserError("That button belongs to a game in another channel.")
        return game

    def _remember(self, game: Game) -> Game:
        """Keep ``game`` as this process saved it last; the least recently saved go first past
        ``GAMES_IN_MEMORY`` (a game another process ended, by its timer, is never told here)."""
        self._playing[game.id] = game
        self._playing.move_to_end(game.id)
        while len(self._playing) > GAMES_IN_MEMORY:
            self._playing.popitem(last=False)
        return game

    @staticmethod
    def _check_player(game: Game, user_id: int) -> None:
        if user_id == game.setter_id:
            raise UserError("You chose this word, so you can't guess it — let the others play!")
        if game.player_id is not None and user_id != game.player_id:
            if game.source is GameSource.MEMBER:
                raise UserError(
                    f"This word is a challenge for <@{game.player_id}> — not for you this time."
                )
            raise UserError(
                f"This is not your game — it's <@{game.player_id}>'s solo game. "
                "Start your own with /hangman start."
            )

    async def _finish(self, game: Game, ending: Ending, *, by: int | None) -> Finish:
        board = game.board
        won = ending is Ending.SOLVED
        results = []
        if game.counts:
            difficulty = game.difficulty or Difficulty.MEDIUM
            points = points_for(board, difficulty) if won else 0
            results = [
                Result(user_id, won, points, won and board.flawless)
                for user_id in game.participants
            ]
        self._playing.pop(game.id, None)
        recorded = tuple(await self.games.finish(game, results, self._clock()))
        log.info("hangman game %d ended: %s", game.id, ending)
        return Finish(ending, by, recorded)

    async def reward(self, move: Move) -> tuple[LevelUp, ...]:
        """Report a finished game's results for XP and achievements; return the level-ups.

        Called once the board is answered, not inside the move: Discord wants an answer to a
        button within three seconds, and the players' records are already saved. A failing
        framework is logged and costs nothing but the XP.
        """
        if move.finish is None or not move.finish.results or self.rewards is None:
            return ()
        try:
            return await self.rewards.report(move.game, move.finish.results)
        except Exception:
            log.exception("could not report the results of hangman game %d for XP", move.game.id)
            return ()

    # --- Inactivity ------------------------------------------------------------------------

    async def _schedule_check(self, game: Game, when: datetime) -> None:
        if self.scheduler is None:
            return
        payload: dict[str, Any] = {
            "game_id": game.id,
            "key": game.timer_key,
            "user_id": game.starter_id,
        }
        await self.scheduler.schedule(when, TIMEOUT_EVENT, payload)

    async def check_idle(self, payload: dict[str, Any]) -> Move | None:
        """A timer fired: end the game if it sat idle for the whole timeout, else check later."""
        game_id = payload.get("game_id")
        if not isinstance(game_id, int):
            log.warning("ignoring a hangman timer without a game id: %r", payload)
            return None
        async with self._locks.hold(game_id):
            game = await self.games.get(game_id)
            if game is None or game.timer_key != payload.get("key"):
                return None
            due = game.last_move_at + self.timeout
            if due > self._clock():
                await self._schedule_check(game, due)
                return None
            finish = await self._finish(game, Ending.TIMED_OUT, by=None)
            return Move(game, game.board, finish=finish)

    async def rearm_timers(self) -> int:
        """Give every game in play a fresh timer (at start-up); returns how many. A game may
        move, get its messages or end between the read and its turn (members play as soon as
        the bot is ready), here or in another process: the copy this process saved last is
        kept, and a game it does not hold is not remembered from the read (its next move reads
        it whole)."""
        rearmed = 0
        for stored in await self.games.all_games():
            async with self._locks.hold(stored.id):
                held = self._playing.get(stored.id)
                armed = await self.games.set_timer_key(held or stored, secrets.token_hex(8))
                if armed is None:
                    continue
                if held is not None:
                    self._remember(armed)
            await self._schedule_check(armed, armed.last_move_at + self.timeout)
            rearmed += 1
        return rearmed

    # --- Records ---------------------------------------------------------------------------

    async def stats(self, guild_id: int, user_id: int) -> PlayerStats:
        return await self.games.stats(guild_id, user_id)

    async def leaderboard(self, guild_id: int) -> list[tuple[int, PlayerStats]]:
        return await self.games.leaderboard(guild_id, self.options.leaderboard_size)

    # --- Guild lists -----------------------------------------------------------------------

    async def guild_lists(self, guild_id: int) -> list[GuildList]:
        return await self.lists.lists(guild_id)

    async def list_words(self, guild_id: int, list_name: str) -> tuple[str, ...]:
        name = to_list_name(list_name, await self.readable_word_bank())
        words = await self.lists.words(guild_id, name)
        if not words:
            raise UserError(f"This server has no list called “{name}”.")
        return words

    async def list_policy(self, guild_id: int, list_name: str) -> ListPolicy:
        name = to_list_name(list_name, await self.readable_word_bank())
        policy = await self.lists.policy(guild_id, name)
        if policy is None:
            raise UserError(f"This server has no list called “{name}”.")
        return policy

    async def add_words(
        self,
        guild_id: int,
        list_name: str,
        text: str,
        *,
        added_by: int,
        policy: ListPolicy | None = None,
    ) -> tuple[str, ListPolicy, AddedWords]:
        """Add comma-separated words to a list (made on first use); every word is checked.

        A new list is made with ``policy`` (``safe`` unless the admin opts out); a list keeps
        the policy it was made with, and saying another one for it is refused.
        """
        bank = await self.readable_word_bank()
        name = to_list_name(list_name, bank)
        current = await self.lists.policy(guild_id, name)
        if current is None and bank is None:
            raise UserError(NEW_LIST_NEEDS_BUNDLED)
        if current is not None and policy is not None and policy is not current:
            log.info("guild %d: list %r is %s, %s was asked", guild_id, name, current, policy)
            raise UserError(
                f"“{name}” was made {current.label}, and a list keeps the policy it was made "
                f"with. Make a new list for {policy.label} words."
            )
        chosen = current or policy or ListPolicy.SAFE
        words = self._split_words(text, chosen)
        added = await self.lists.add(
            guild_id,
            name,
            words,
            added_by=added_by,
            policy=chosen,
            max_lists=Allowance(self.options.max_guild_lists, self.options.premium_max_guild_lists),
            max_words=Allowance(
                self.options.max_words_per_list, self.options.premium_max_words_per_list
            ),
            premium=await self._premium_covers(added_by, guild_id),
            now=self._clock(),
        )
        return name, chosen, added

    async def _premium_covers(self, user_id: int, guild_id: int) -> bool:
        """Whether premium (the member's or the server's) raises this server's list limits."""
        return self.premium is not None and await self.premium.covers(user_id, guild_id)

    async def remove_words(self, guild_id: int, list_name: str, text: str) -> tuple[str, int]:
        name = to_list_name(list_name, await self.readable_word_bank())
        words = [fold(word) for word in text.split(",") if word.strip()]
        if not words:
            raise UserError("Give the words to remove, separated by commas.")
        removed = await self.lists.remove(guild_id, name, words)
        if not removed:
            raise UserError(f"None of those words is on “{name}”.")
        return name, removed

    async def delete_list(self, guild_id: int, list_name: str) -> tuple[str, int]:
        name = to_list_name(list_name, await self.readable_word_bank())
        removed = await self.lists.delete_list(guild_id, name)
        if not removed:
            raise UserError(f"This server has no list called “{name}”.")
        return name, removed

    @staticmethod
    def _split_words(text: str, policy: ListPolicy) -> list[str]:
        pieces = [piece for piece in text.split(",") if piece.strip()]
        if not pieces:
            raise UserError("Give one or more words, separated by commas: `otter, badger`.")
        if len(pieces) > MAX_WORDS_PER_CHANGE:
            raise UserError(f"Add at most {MAX_WORDS_PER_CHANGE} words at a time.")
        words = []
        for piece in pieces:
            try:
                secret = to_secret(piece)
                policy.check(secret)
                words.append(secret)
            except UserError as problem:
                log.info("a word for a %s server list was refused: %s", policy, problem.message)
                raise UserError(f"“{piece.strip()}”: {problem.message}") from None
        return words
