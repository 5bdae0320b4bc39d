"""The classic mode: a spelling bee of rounds in a channel, solo or as an elimination round.

Each round the bot gives a word (spoken, with its definition and a masked example) and a player
types its spelling. **Solo**: the starter plays a number of rounds with a number of lives; a
miss costs a life and not answering in time ends the game. **Elimination**: members join during
a short lobby, then take turns in the order they joined, one word each; a miss, or no answer in
time, eliminates; the last one standing wins, and if several are still standing after the last
round they share the win.

Games are short and live in this process only (a restart ends them); a finished game is added
to each player's record in the database. Every change to a game happens under one lock, so a
typed answer, a form and a timer can never judge the same round twice; a game's end is decided
under it, while its records and XP are saved after it is released, so one game's database work
never holds up the games of other channels. Round and lobby timers
go through the scheduler and name the round they were set for: a timer of a round already
answered does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from botfleet.bots.spelling_bee.services.classic_store import (
    ClassicStats,
    ClassicStore,
    GameRecord,
)
from botfleet.bots.spelling_bee.services.classic_words import (
    ClassicWord,
    ClassicWordBank,
    Difficulty,
)
from botfleet.database.base import Database
from botfleet.errors import UserError
from botfleet.gamification import LevelUp
from botfleet.services.scheduler import Scheduler
from botfleet.utils.tasks import Preload

log = logging.getLogger(__name__)

ROUND_EVENT: Final = "spelling_bee_classic_round"
"""Handled as ``on_spelling_bee_classic_round_timer_complete``."""
LOBBY_EVENT: Final = "spelling_bee_classic_lobby"
"""Handled as ``on_spelling_bee_classic_lobby_timer_complete``."""
MAX_ANSWER_LENGTH: Final = 40
MIN_PLAYERS: Final = 2
MAX_PLAYERS: Final = 20
_LETTERS_ONLY: Final = re.compile(r"[a-z]+")


class GameOverError(UserError):
    """A move in a game that has ended (or never was)."""

    def __init__(self) -> None:
        super().__init__("This spelling bee is over — start a new one with /bee classic.")


class ClassicMode(StrEnum):
    """Who plays: the starter alone, or members in turn until one is left."""

    SOLO = "solo"
    ELIMINATION = "elimination"


class Phase(StrEnum):
    LOBBY = "lobby"
    PLAYING = "playing"


class Ending(StrEnum):
    """How a game ended."""

    COMPLETED = "completed"
    """Solo: every round played."""
    OUT_OF_LIVES = "out_of_lives"
    TIMED_OUT = "timed_out"
    """Solo: a round went unanswered."""
    LAST_STANDING = "last_standing"
    SURVIVORS = "survivors"
    """Elimination: several players were still standing after the last round."""
    STOPPED = "stopped"
    NOT_ENOUGH_PLAYERS = "not_enough_players"
    """Elimination: the lobby closed with fewer than two players."""


def normalise_answer(text: str) -> str:
    """An answer as compared with the word: trimmed, lowercase; refused when unusable."""
    answer = text.strip().casefold()
    if not answer:
        raise UserError("Type the word's spelling.")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise UserError(f"No word here is longer than {MAX_ANSWER_LENGTH} letters.")
    if _LETTERS_ONLY.fullmatch(answer) is None:
        raise UserError("Spell the word with the letters A to Z only, in one word.")
    return answer


@dataclass(frozen=True, slots=True)
class Settings:
    """How one game is played."""

    mode: ClassicMode
    difficulty: Difficulty
    rounds: int
    lives: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Player:
    user_id: int
    spelled: int = 0
    missed: int = 0
    run: int = 0
    best_run: int = 0
    out: bool = False


@dataclass(slots=True)
class _Game:
    """A game in play; only the service changes it, under its lock."""

    id: str
    guild_id: int
    channel_id: int
    starter_id: int
    settings: Settings
    players: list[_Player]
    phase: Phase
    lives_left: int
    round_number: int = 0
    turn: int = 0
    """Index in ``players`` of whose turn it is (elimination)."""
    word: ClassicWord | None = None
    key: str = ""
    """Names the current round or lobby; a timer or form with another key is stale."""
    used: set[str] = field(default_factory=set)
    ends_at: datetime = field(default_factory=_utcnow)
    """When the current round's time runs out."""
    lobby_closes_at: datetime = field(default_factory=_utcnow)
    """When the lobby's timer begins the game (elimination)."""

    def player(self, user_id: int) -> _Player | None:
        return next((player for player in self.players if player.user_id == user_id), None)

    @property
    def standing(self) -> list[_Player]:
        return [player for player in self.players if not player.out]


@dataclass(frozen=True, slots=True)
class Lobby:
    """An elimination game waiting for players."""

    game_id: str
    channel_id: int
    starter_id: int
    settings: Settings
    player_ids: tuple[int, ...]
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class Round:
    """A word to spell, and who spells it. ``word`` is for the bot, never shown before the end."""

    game_id: str
    channel_id: int
    key: str
    number: int
    settings: Settings
    word: ClassicWord
    player_id: int
    lives_left: int
    standing: tuple[int, ...]
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Finish:
    """A game's end: how, who won, each player's record after it and the level-ups it caused."""

    ending: Ending
    settings: Settings
    winners: tuple[int, ...]
    records: tuple[GameRecord, ...]
    stats: Mapping[int, ClassicStats]
    level_ups: tuple[LevelUp, ...] = ()


@dataclass(frozen=True, slots=True)
class _Ended:
    """A game decided over under the lock, whose records and XP are still to be saved."""

    guild_id: int
    channel_id: int
    ending: Ending
    settings: Settings
    winners: tuple[int, ...]
    records: tuple[GameRecord, ...]


@dataclass(frozen=True, slots=True)
class Attempt:
    """A round judged: an answer (None when time ran out), and what comes next."""

    channel_id: int
    player_id: int
    answer: str | None
    word: ClassicWord
    correct: bool
    eliminated: bool
    next_round: Round | None
    finish: Finish | None
    level_ups: tuple[LevelUp, ...] = ()


class ClassicRewardReporter(Protocol):
    """Where the classic mode's XP goes."""

    async def report_spelling(
        self, user_id: int, *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        """A word spelled right; return the level-ups it caused in the guild."""
        ...

    async def report_classic_game(
        self, records: tuple[GameRecord, ...], *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        """A finished game's wins and losses; return the level-ups they caused."""
        ...


class ClassicService:
    """Classic spelling bees, one per channel, over the word bank, timers, records and XP.

    The word bank (1.1 MB) is read at the first game, not at start: an idle bot does without
    it (issue 16). A solo game waits for it (about 35 ms; 200 ms once, when a new release's
    clues are checked), a lobby has it read while members join.
    """

    def __init__(
        self,
        database: Database,
        bank: Preload[ClassicWordBank],
        *,
        round_seconds: float,
        lobby_seconds: float,
        scheduler: Scheduler | None = None,
        rewards: ClassicRewardReporter | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.bank = bank
        self.store = ClassicStore(database)
        self.round_time = timedelta(seconds=round_seconds)
        self.lobby_time = timedelta(seconds=lobby_seconds)
        self.scheduler = scheduler
        self.rewards = rewards
        # Which word comes up is a game mechanic, not a secret worth a CSPRNG.
        self._rng = rng or random.Random()  # noqa: S311  (a word to spell, not a secret)
        self._clock = clock
        self._games: dict[str, _Game] = {}
        self._lock = asyncio.Lock()

    # --- Starting --------------------------------------------------------------------------

    def _in_channel(self, channel_id: int) -> _Game | None:
        return next((game for game in self._games.values() if game.channel_id == channel_id), None)

    def _new_game(
        self, guild_id: int, channel_id: int, starter_id: int, settings: Settings, phase: Phase
    ) -> _Game:
        if self._in_channel(channel_id) is not None:
            raise UserError(
                "A spelling bee is already running in this channel — wait until it ends."
            )
        game = _Game(
            id=secrets.token_hex(6),
            guild_id=guild_id,
            channel_id=channel_id,
            starter_id=starter_id,
            settings=settings,
            players=[_Player(starter_id)],
            phase=phase,
            lives_left=settings.lives,
            key=secrets.token_hex(4),
        )
        self._games[game.id] = game
        log.info(
            "classic spelling bee %s started in channel %d (%s, %s)",
            game.id,
            channel_id,
            settings.mode,
            settings.difficulty,
        )
        return game

    async def start_solo(
        self, *, guild_id: int, channel_id: int, starter_id: int, settings: Settings
    ) -> Round:
        """A solo game for ``starter_id``, at its first round."""
        async with self._lock:
            game = self._new_game(guild_id, channel_id, starter_id, settings, Phase.PLAYING)
            return await self._next_round(game)

    async def open_lobby(
        self, *, guild_id: int, channel_id: int, starter_id: int, settings: Settings
    ) -> Lobby:
        """An elimination game that members may join until the lobby closes."""
        async with self._lock:
            game = self._new_game(guild_id, channel_id, starter_id, settings, Phase.LOBBY)
            self.bank.start()  # read while the lobby fills, for an instant first round
            game.lobby_closes_at = self._clock() + self.lobby_time
            await self._schedule(game.lobby_closes_at, LOBBY_EVENT, game)
            return self._lobby(game)

    @staticmethod
    def _lobby(game: _Game) -> Lobby:
        return Lobby(
            game.id,
            game.channel_id,
            game.starter_id,
            game.settings,
            tuple(player.user_id for player in game.players),
            game.lobby_closes_at,
        )

    async def join(self, game_id: str, user_id: int) -> Lobby:
        """``user_id`` joins an open lobby."""
        async with self._lock:
            game = self._load(game_id)
            if game.phase is not Phase.LOBBY:
                raise UserError("This elimination round has begun — joining is closed.")
            if game.player(user_id) is not None:
                raise UserError("You're in already — wait for the round to begin.")
            if len(game.players) >= MAX_PLAYERS:
                raise UserError(f"The lobby is full ({MAX_PLAYERS} players).")
            game.players.append(_Player(user_id))
            return self._lobby(game)

    async def begin_now(self, game_id: str, user_id: int) -> Round:
        """The starter closes the lobby early; two players at least must have joined."""
        async with self._lock:
            game = self._load(game_id)
            if game.phase is not Phase.LOBBY:
                raise UserError("This elimination round has begun already.")
            if user_id != game.starter_id:
                raise UserError(f"Only <@{game.starter_id}>, who opened the lobby, can start it.")
            if len(game.players) < MIN_PLAYERS:
                raise UserError(
                    f"An elimination round needs at least {MIN_PLAYERS} players — "
                    "wait for someone to join."
                )
            return await self._begin(game)

    async def lobby_closed(self, payload: Mapping[str, Any]) -> Round | Finish | None:
        """The lobby timer fired: the first round, or the end for want of players."""
        async with self._lock:
            game = self._current(payload)
            if game is None or game.phase is not Phase.LOBBY:
                return None
            if len(game.players) >= MIN_PLAYERS:
                return await self._begin(game)
            ended = self._end(game, Ending.NOT_ENOUGH_PLAYERS)
        return await self._settle(ended)

    async def _begin(self, game: _Game) -> Round:
        game.phase = Phase.PLAYING
        log.info("classic spelling bee %s begins with %d players", game.id, len(game.players))
        return await self._next_round(game)

    # --- Rounds ----------------------------------------------------------------------------

    async def _next_round(self, game: _Game) -> Round:
        """Draw the next word, move the turn on and arm the round's timer."""
        if game.word is not None and game.settings.mode is ClassicMode.ELIMINATION:
            previous, game.turn = game.turn, self._next_turn(game)
            if game.turn <= previous:
                game.round_number += 1
        else:
            game.round_number += 1
            game.turn = self._first_standing(game)
        bank = await self.bank.get()
        game.word = bank.pick(game.settings.difficulty, self._rng, game.used)
        game.used.add(game.word.word)
        game.key = secrets.token_hex(4)
        game.ends_at = self._clock() + self.round_time
        await self._schedule(game.ends_at, ROUND_EVENT, game)
        return self._round(game)

    @staticmethod
    def _first_standing(game: _Game) -> int:
        return next(index for index, player in enumerate(game.players) if not player.out)

    @staticmethod
    def _next_turn(game: _Game) -> int:
        count = len(game.players)
        for step in range(1, count + 1):
            index = (game.turn + step) % count
            if not game.players[index].out:
                return index
        return game.turn

    def _round(self, game: _Game) -> Round:
        assert game.word is not None
        return Round(
            game_id=game.id,
            channel_id=game.channel_id,
            key=game.key,
            number=game.round_number,
            settings=game.settings,
            word=game.word,
            player_id=game.players[game.turn].user_id,
            lives_left=game.lives_left,
            standing=tuple(player.user_id for player in game.standing),
            ends_at=game.ends_at,
        )

    def _check_turn(self, game: _Game, user_id: int, key: str | None) -> _Player:
        if game.phase is Phase.LOBBY:
            raise UserError("The round has not begun yet — the lobby is still open.")
        if key is not None and key != game.key:
            raise UserError("That word's round is over — answer the newest word.")
        player = game.player(user_id)
        if player is None:
            if game.settings.mode is ClassicMode.SOLO:
                raise UserError(
                    f"This is <@{game.starter_id}>'s spelling bee — start your own with "
                    "/bee classic when it ends."
                )
            raise UserError("You're not in this elimination round — join the next one!")
        if player.out:
            raise UserError("You're out of this round — cheer the others on!")
        on_turn = game.players[game.turn]
        if on_turn is not player:
            raise UserError(f"It's <@{on_turn.user_id}>'s turn — wait for yours.")
        return player

    async def current_round(
        self, game_id: str, user_id: int | None = None, key: str | None = None
    ) -> Round:
        """The round in play (to hear it again); with ``user_id``, only if it is their turn."""
        async with self._lock:
            game = self._load(game_id)
            if user_id is not None:
                self._check_turn(game, user_id, key)
            elif game.phase is Phase.LOBBY:
                raise UserError("The round has not begun yet — the lobby is still open.")
            return self._round(game)

    def round_in(self, channel_id: int) -> Round | None:
        """The round in play in a channel, if a game past its lobby runs there."""
        game = self._in_channel(channel_id)
        if game is None or game.phase is not Phase.PLAYING:
            return None
        return self._round(game)

    def runs_in(self, channel_id: int) -> bool:
        """Whether a game (its lobby or its rounds) holds the channel: typed words are its own."""
        return self._in_channel(channel_id) is not None

    def takes_message_from(self, channel_id: int, user_id: int) -> str | None:
        """The game whose player ``user_id`` is, in play in the channel, for a typed answer."""
        game = self._in_channel(channel_id)
        if game is None or game.phase is not Phase.PLAYING:
            return None
        player = game.player(user_id)
        return game.id if player is not None and not player.out else None

    async def answer(
        self, game_id: str, user_id: int, text: str, *, key: str | None = None
    ) -> Attempt:
        """``user_id`` spells the current word (``key``: the round a form was opened for)."""
        async with self._lock:
            game = self._load(game_id)
            player = self._check_turn(game, user_id, key)
            answer = normalise_answer(text)
            assert game.word is not None
            word = game.word
            correct = answer == word.word
            if correct:
                player.spelled += 1
                player.run += 1
                player.best_run = max(player.best_run, player.run)
            else:
                self._miss(game, player)
            attempt, ended = await self._after(game, player, answer, word, correct)
        if correct and self.rewards is not None:
            level_ups = await self._safely(
                self.rewards.report_spelling(
                    user_id, guild_id=game.guild_id, channel_id=game.channel_id
                )
            )
            attempt = replace(attempt, level_ups=level_ups)
        return await self._settled(attempt, ended)

    def _miss(self, game: _Game, player: _Player) -> None:
        player.missed += 1
        player.run = 0
        if game.settings.mode is ClassicMode.ELIMINATION:
            player.out = True
        else:
            game.lives_left -= 1

    async def _after(
        self, game: _Game, player: _Player, answer: str | None, word: ClassicWord, correct: bool
    ) -> tuple[Attempt, _Ended | None]:
        """The game after a judged round: its end (to settle once unlocked), or the next round."""
        attempt = Attempt(
            game.channel_id, player.user_id, answer, word, correct, player.out, None, None
        )
        ending = self._ending(game, timed_out=answer is None)
        if ending is not None:
            return attempt, self._end(game, ending)
        return replace(attempt, next_round=await self._next_round(game)), None

    async def _settled(self, attempt: Attempt, ended: _Ended | None) -> Attempt:
        """The attempt with its game's finish, once the records and XP are saved."""
        if ended is None:
            return attempt
        return replace(attempt, finish=await self._settle(ended))

    def _ending(self, game: _Game, *, timed_out: bool) -> Ending | None:
        settings = game.settings
        if settings.mode is ClassicMode.SOLO:
            if timed_out:
                return Ending.TIMED_OUT
            if game.lives_left <= 0:
                return Ending.OUT_OF_LIVES
            return Ending.COMPLETED if game.round_number >= settings.rounds else None
        standing = game.standing
        if len(standing) <= 1:
            return Ending.LAST_STANDING
        last_of_round = self._next_turn(game) <= game.turn
        at_last_round = game.round_number >= settings.rounds
        return Ending.SURVIVORS if at_last_round and last_of_round else None

    async def time_up(self, payload: Mapping[str, Any]) -> Attempt | None:
        """A round's timer fired: a solo game ends, an elimination player is out."""
        async with self._lock:
            game = self._current(payload)
            if game is None or game.phase is not Phase.PLAYING or game.word is None:
                return None
            player = game.players[game.turn]
            word = game.word
            self._miss(game, player)
            log.info("classic spelling bee %s: round %d timed out", game.id, game.round_number)
            attempt, ended = await self._after(game, player, None, word, False)
        return await self._settled(attempt, ended)

    async def stop(self, channel_id: int, user_id: int, *, moderator: bool) -> tuple[Finish, str]:
        """``/bee stop``: the starter or a moderator ends the channel's game; and its word."""
        async with self._lock:
            game = self._in_channel(channel_id)
            if game is None:
                raise UserError("No classic spelling bee is running in this channel.")
            if user_id != game.starter_id and not moderator:
                raise UserError(f"Only <@{game.starter_id}> or a moderator can stop this game.")
            word = game.word.word if game.word is not None else ""
            ended = self._end(game, Ending.STOPPED)
        return await self._settle(ended), word

    # --- Endings, records, rewards ---------------------------------------------------------

    def _end(self, game: _Game, ending: Ending) -> _Ended:
        """Take the game out of play (under the lock) with its winners and records."""
        del self._games[game.id]
        winners: tuple[int, ...] = ()
        if ending is Ending.COMPLETED:
            winners = (game.starter_id,)
        elif ending in {Ending.LAST_STANDING, Ending.SURVIVORS}:
            winners = tuple(player.user_id for player in game.standing)
        played = game.players if game.phase is Phase.PLAYING else []
        records = tuple(
            GameRecord(
                player.user_id,
                player.spelled,
                player.missed,
                player.best_run,
                player.user_id in winners,
            )
            for player in played
        )
        log.info("classic spelling bee %s ended: %s", game.id, ending)
        return _Ended(game.guild_id, game.channel_id, ending, game.settings, winners, records)

    async def _settle(self, ended: _Ended) -> Finish:
        """Save an ended game's records and report its XP, outside the lock."""
        records = ended.records
        stats = await self.store.record(ended.guild_id, records, self._clock()) if records else {}
        level_ups: tuple[LevelUp, ...] = ()
        if records and self.rewards is not None:
            level_ups = await self._safely(
                self.rewards.report_classic_game(
                    records, guild_id=ended.guild_id, channel_id=ended.channel_id
                )
            )
        return Finish(ended.ending, ended.settings, ended.winners, records, stats, level_ups)

    async def _safely(self, report: Any) -> tuple[LevelUp, ...]:
        """XP is a bonus: a failing framework is logged and costs the game nothing."""
        try:
            level_ups: tuple[LevelUp, ...] = await report
        except Exception:
            log.exception("could not report a classic spelling bee result for XP")
            return ()
        return level_ups

    async def stats(self, guild_id: int, user_id: int) -> ClassicStats:
        return await self.store.stats(guild_id, user_id)

    async def leaderboard(self, guild_id: int, size: int) -> list[tuple[int, ClassicStats]]:
        return await self.store.leaderboard(guild_id, size)

    # --- Timers ----------------------------------------------------------------------------

    async def _schedule(self, when: datetime, event: str, game: _Game) -> None:
        if self.scheduler is not None:
            payload = {"game_id": game.id, "key": game.key, "channel_id": game.channel_id}
            await self.scheduler.schedule(when, event, payload)

    def _current(self, payload: Mapping[str, Any]) -> _Game | None:
        """The game a timer names, if the timer is for its current round or lobby."""
        game = self._games.get(str(payload.get("game_id")))
        if game is None or game.key != payload.get("key"):
            return None
        return game

    def _load(self, game_id: str) -> _Game:
        game = self._games.get(game_id)
        if game is None:
            raise GameOverError
        return game
