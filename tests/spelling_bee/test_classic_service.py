"""The classic spelling bee service on real databases: rounds, lives, turns, timers, records."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from botfleet.bots.spelling_bee.services.classic import (
    ClassicMode,
    ClassicService,
    Ending,
    GameOverError,
    Lobby,
    Round,
    Settings,
)
from botfleet.bots.spelling_bee.services.classic_store import (
    PRIVACY_NAME,
    ClassicStats,
    GameRecord,
    delete_user_data,
)
from botfleet.bots.spelling_bee.services.classic_words import (
    ClassicWord,
    ClassicWordBank,
    Difficulty,
)
from botfleet.bots.spelling_bee.services.rewards import GamificationRewards
from botfleet.bots.spelling_bee.views.classic import finish_text
from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.errors import UserError
from botfleet.gamification import Gamification, LevelUp
from botfleet.services.privacy import registry
from botfleet.utils.tasks import Preload

GUILD, CHANNEL, OTHER_CHANNEL = 10, 20, 21
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4
WORDS = ("garden", "river", "candle", "planet", "window", "basket")


class RecordingRewards:
    """Remembers what it was told to report."""

    def __init__(self) -> None:
        self.spellings: list[int] = []
        self.games: list[tuple[GameRecord, ...]] = []

    async def report_spelling(
        self, user_id: int, *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        self.spellings.append(user_id)
        return ()

    async def report_classic_game(
        self, records: tuple[GameRecord, ...], *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        self.games.append(records)
        return ()


def bank() -> ClassicWordBank:
    return ClassicWordBank(
        ClassicWord(word, "noun", f"clue {index}", None, level)
        for index, word in enumerate(WORDS)
        for level in Difficulty
    )


Factory = Callable[..., ClassicService]


@pytest.fixture
def make_service(database: Database) -> Factory:
    def make(**overrides: Any) -> ClassicService:
        options: dict[str, Any] = {
            "round_seconds": 30,
            "lobby_seconds": 20,
            "rng": random.Random(1),
            "clock": lambda: datetime(2026, 1, 5, 12, tzinfo=UTC),
        }
        return ClassicService(database, Preload.loaded(bank()), **(options | overrides))

    return make


def solo(rounds: int = 3, lives: int = 2) -> Settings:
    return Settings(ClassicMode.SOLO, Difficulty.EASY, rounds, lives)


def elimination(rounds: int = 5) -> Settings:
    return Settings(ClassicMode.ELIMINATION, Difficulty.HARD, rounds, 1)


def misspelled(current: Round) -> str:
    return current.word.word[::-1] + "x"


def timer(game: Round | Lobby, key: str) -> dict[str, Any]:
    return {"game_id": game.game_id, "key": key, "channel_id": CHANNEL}


async def test_a_solo_game_plays_its_rounds_and_is_recorded(make_service: Factory) -> None:
    rewards = RecordingRewards()
    service = make_service(rewards=rewards)
    first = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=3)
    )
    assert (first.number, first.player_id, first.lives_left) == (1, ALICE, 2)
    assert first.word.word in WORDS

    right = await service.answer(first.game_id, ALICE, f"  {first.word.word.upper()} ")
    assert right.correct and right.next_round is not None and right.finish is None
    second = right.next_round
    assert second.number == 2 and second.word.word != first.word.word

    wrong = await service.answer(second.game_id, ALICE, misspelled(second))
    assert not wrong.correct and wrong.word == second.word and not wrong.eliminated
    assert wrong.next_round is not None and wrong.next_round.lives_left == 1

    third = wrong.next_round
    done = await service.answer(third.game_id, ALICE, third.word.word)
    assert done.next_round is None and done.finish is not None
    assert done.finish.ending is Ending.COMPLETED and done.finish.winners == (ALICE,)
    assert done.finish.records == (GameRecord(ALICE, 2, 1, 1, True),)
    assert rewards.spellings == [ALICE, ALICE]
    assert rewards.games == [done.finish.records]
    assert await service.stats(GUILD, ALICE) == ClassicStats(1, 1, 2, 1, 1)
    assert service.round_in(CHANNEL) is None, "the channel is free again"
    with pytest.raises(GameOverError):
        await service.answer(third.game_id, ALICE, third.word.word)


async def test_records_add_up_over_games_and_keep_the_best_run(make_service: Factory) -> None:
    service = make_service()
    for rounds in (3, 1):
        current: Round | None = await service.start_solo(
            guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=rounds)
        )
        while current is not None:
            current = (await service.answer(current.game_id, ALICE, current.word.word)).next_round
    assert await service.stats(GUILD, ALICE) == ClassicStats(2, 2, 4, 0, 3)
    assert await service.stats(GUILD + 1, ALICE) == ClassicStats(), "records are per server"
    assert [user for user, _ in await service.leaderboard(GUILD, 5)] == [ALICE]


async def test_running_out_of_lives_ends_a_solo_game(make_service: Factory) -> None:
    service = make_service()
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=5, lives=2)
    )
    first_miss = await service.answer(current.game_id, ALICE, misspelled(current))
    assert first_miss.next_round is not None
    last = await service.answer(current.game_id, ALICE, misspelled(first_miss.next_round))
    assert last.finish is not None and last.finish.ending is Ending.OUT_OF_LIVES
    assert last.finish.winners == ()
    assert (await service.stats(GUILD, ALICE)).games_won == 0


async def test_answers_are_validated(make_service: Factory) -> None:
    service = make_service()
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo()
    )
    refused = {
        "": "Type the word's spelling",
        "   ": "Type the word's spelling",
        "gar den": "letters A to Z only",
        "g4rden": "letters A to Z only",
        "x" * 41: "longer than 40",
    }
    for text, reason in refused.items():
        with pytest.raises(UserError, match=reason):
            await service.answer(current.game_id, ALICE, text)
    with pytest.raises(UserError, match="This is <@1>'s spelling bee"):
        await service.answer(current.game_id, BOB, current.word.word)
    with pytest.raises(UserError, match="already running in this channel"):
        await service.start_solo(
            guild_id=GUILD, channel_id=CHANNEL, starter_id=BOB, settings=solo()
        )
    with pytest.raises(UserError, match="round is over"):
        await service.answer(current.game_id, ALICE, current.word.word, key="stale")
    round_now = service.round_in(CHANNEL)
    assert round_now is not None and round_now.lives_left == 2, "refused answers cost nothing"
    other = await service.start_solo(
        guild_id=GUILD, channel_id=OTHER_CHANNEL, starter_id=BOB, settings=solo()
    )
    assert other.game_id != current.game_id, "another channel has its own game"


async def test_an_unanswered_word_ends_a_solo_game_and_stale_timers_do_nothing(
    make_service: Factory,
) -> None:
    service = make_service()
    first = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo()
    )
    answered = await service.answer(first.game_id, ALICE, first.word.word)
    assert answered.next_round is not None
    assert await service.time_up(timer(first, first.key)) is None, "that round was answered"
    second = answered.next_round
    timed_out = await service.time_up(timer(second, second.key))
    assert timed_out is not None and timed_out.answer is None
    assert timed_out.word == second.word
    assert timed_out.finish is not None and timed_out.finish.ending is Ending.TIMED_OUT
    assert await service.time_up(timer(second, second.key)) is None, "fires once"
    assert (await service.stats(GUILD, ALICE)).games_played == 1


async def test_an_elimination_round_takes_turns_until_one_is_left(make_service: Factory) -> None:
    rewards = RecordingRewards()
    service = make_service(rewards=rewards)
    lobby = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination()
    )
    assert lobby.player_ids == (ALICE,)
    with pytest.raises(UserError, match="at least 2 players"):
        await service.begin_now(lobby.game_id, ALICE)
    with pytest.raises(UserError, match="lobby is still open"):
        await service.answer(lobby.game_id, ALICE, "garden")
    assert (await service.join(lobby.game_id, BOB)).player_ids == (ALICE, BOB)
    with pytest.raises(UserError, match="in already"):
        await service.join(lobby.game_id, BOB)
    await service.join(lobby.game_id, CAROL)
    with pytest.raises(UserError, match="Only <@1>"):
        await service.begin_now(lobby.game_id, BOB)

    first = await service.begin_now(lobby.game_id, ALICE)
    assert (first.number, first.player_id, first.standing) == (1, ALICE, (ALICE, BOB, CAROL))
    with pytest.raises(UserError, match="begun"):
        await service.join(lobby.game_id, DAVE)
    with pytest.raises(UserError, match="It's <@1>'s turn"):
        await service.answer(first.game_id, BOB, first.word.word)
    with pytest.raises(UserError, match="not in this elimination round"):
        await service.answer(first.game_id, DAVE, first.word.word)

    alice_right = await service.answer(first.game_id, ALICE, first.word.word)
    bobs = alice_right.next_round
    assert bobs is not None and (bobs.number, bobs.player_id) == (1, BOB)
    bob_wrong = await service.answer(bobs.game_id, BOB, misspelled(bobs))
    assert bob_wrong.eliminated
    carols = bob_wrong.next_round
    assert carols is not None and carols.player_id == CAROL
    assert carols.standing == (ALICE, CAROL)
    with pytest.raises(UserError, match="out of this round"):
        await service.answer(carols.game_id, BOB, carols.word.word)

    carol_right = await service.answer(carols.game_id, CAROL, carols.word.word)
    second_round = carol_right.next_round
    assert second_round is not None and (second_round.number, second_round.player_id) == (2, ALICE)
    alice_late = await service.time_up(timer(second_round, second_round.key))
    assert alice_late is not None and alice_late.eliminated and alice_late.answer is None
    assert alice_late.finish is not None
    assert alice_late.finish.ending is Ending.LAST_STANDING
    assert alice_late.finish.winners == (CAROL,)
    records = {record.user_id: record for record in alice_late.finish.records}
    assert records[CAROL] == GameRecord(CAROL, 1, 0, 1, True)
    assert records[BOB] == GameRecord(BOB, 0, 1, 0, False)
    assert records[ALICE] == GameRecord(ALICE, 1, 1, 1, False)
    assert sorted(rewards.spellings) == [ALICE, CAROL]


async def test_players_still_standing_after_the_last_round_share_the_win(
    make_service: Factory,
) -> None:
    service = make_service()
    lobby = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination(rounds=1)
    )
    await service.join(lobby.game_id, BOB)
    first = await service.begin_now(lobby.game_id, ALICE)
    after_alice = await service.answer(first.game_id, ALICE, first.word.word)
    assert after_alice.next_round is not None
    after_bob = await service.answer(first.game_id, BOB, after_alice.next_round.word.word)
    assert after_bob.finish is not None and after_bob.finish.ending is Ending.SURVIVORS
    assert after_bob.finish.winners == (ALICE, BOB)


async def test_a_lobby_closes_on_its_timer(make_service: Factory) -> None:
    service = make_service()
    lonely = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination()
    )
    assert await service.lobby_closed(timer(lonely, "stale")) is None
    key = service._games[lonely.game_id].key
    ended = await service.lobby_closed(timer(lonely, key))
    assert not isinstance(ended, Round) and ended is not None
    assert ended.ending is Ending.NOT_ENOUGH_PLAYERS and ended.records == ()
    assert await service.stats(GUILD, ALICE) == ClassicStats(), "no game was played"

    lobby = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination()
    )
    await service.join(lobby.game_id, BOB)
    begun = await service.lobby_closed(timer(lobby, service._games[lobby.game_id].key))
    assert isinstance(begun, Round) and begun.player_id == ALICE


async def test_stopping_is_for_the_starter_or_a_moderator(make_service: Factory) -> None:
    service = make_service()
    with pytest.raises(UserError, match="No classic spelling bee"):
        await service.stop(CHANNEL, ALICE, moderator=False)
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo()
    )
    with pytest.raises(UserError, match="Only <@1> or a moderator"):
        await service.stop(CHANNEL, BOB, moderator=False)
    finish, word = await service.stop(CHANNEL, BOB, moderator=True)
    assert finish.ending is Ending.STOPPED and word == current.word.word
    assert service.round_in(CHANNEL) is None


async def test_a_failing_xp_framework_costs_the_game_nothing(make_service: Factory) -> None:
    class Broken(RecordingRewards):
        async def report_spelling(
            self, user_id: int, *, guild_id: int, channel_id: int
        ) -> tuple[LevelUp, ...]:
            raise RuntimeError("the framework is down")

    service = make_service(rewards=Broken())
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=1)
    )
    attempt = await service.answer(current.game_id, ALICE, current.word.word)
    assert attempt.correct and attempt.finish is not None and attempt.level_ups == ()


async def test_data_deletion_removes_a_members_records(
    make_service: Factory, database: Database
) -> None:
    service = make_service()
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=1)
    )
    await service.answer(current.game_id, ALICE, current.word.word)
    assert PRIVACY_NAME in registry.names
    async with database.session() as session:
        assert await delete_user_data(session, ALICE) == 1
        await session.commit()
    assert await service.stats(GUILD, ALICE) == ClassicStats()


async def test_a_level_up_from_a_finished_game_is_announced_with_its_end(
    make_service: Factory,
) -> None:
    level_up = LevelUp(ALICE, GUILD, 3, 4, 900, CHANNEL, "spelling_bee")
    locked_while_reporting: list[bool] = []

    class LevellingRewards(RecordingRewards):
        async def report_classic_game(
            self, records: tuple[GameRecord, ...], *, guild_id: int, channel_id: int
        ) -> tuple[LevelUp, ...]:
            locked_while_reporting.append(service._lock.locked())
            await super().report_classic_game(records, guild_id=guild_id, channel_id=channel_id)
            return (level_up,)

    service = make_service(rewards=LevellingRewards())
    current = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=1)
    )
    attempt = await service.answer(current.game_id, ALICE, current.word.word)
    assert attempt.finish is not None and attempt.finish.level_ups == (level_up,)
    assert locked_while_reporting == [False], "XP is reported once the lock is released"
    assert "⭐ <@1> reached level 4!" in finish_text(attempt.finish)

    await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=1)
    )
    stopped, _ = await service.stop(CHANNEL, ALICE, moderator=False)
    assert stopped.level_ups == (level_up,), "a stopped game announces its level-ups too"


async def test_joining_keeps_the_lobbys_closing_time(make_service: Factory) -> None:
    now = [datetime(2026, 1, 5, 12, tzinfo=UTC)]
    service = make_service(clock=lambda: now[0])
    lobby = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination()
    )
    assert lobby.closes_at == datetime(2026, 1, 5, 12, 0, 20, tzinfo=UTC)
    now[0] += timedelta(seconds=7)
    joined = await service.join(lobby.game_id, BOB)
    assert joined.closes_at == lobby.closes_at


async def test_a_solo_time_out_counts_as_a_missed_word(make_service: Factory) -> None:
    service = make_service()
    first = await service.start_solo(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=solo(rounds=3, lives=2)
    )
    answered = await service.answer(first.game_id, ALICE, first.word.word)
    assert answered.next_round is not None
    second = answered.next_round
    timed_out = await service.time_up(timer(second, second.key))
    assert timed_out is not None and timed_out.finish is not None
    assert timed_out.finish.ending is Ending.TIMED_OUT
    assert timed_out.finish.records == (GameRecord(ALICE, 1, 1, 1, False),)
    assert await service.stats(GUILD, ALICE) == ClassicStats(1, 0, 1, 1, 1)


async def test_no_xp_roles_apply_to_classic_games(
    make_service: Factory, database: Database
) -> None:
    muted_role, other_role = 4242, 4343
    roles = {ALICE: [muted_role], BOB: [other_role]}
    gamification = Gamification(
        database, CacheHierarchy(MemoryCache(1000)), bot_name="spelling_bee"
    )
    try:
        await gamification.settings.set_no_xp_role(GUILD, muted_role, True)
        rewards = GamificationRewards(
            gamification, role_ids_of=lambda guild_id, user_id: roles[user_id]
        )
        service = make_service(rewards=rewards)
        for player, channel in ((ALICE, CHANNEL), (BOB, OTHER_CHANNEL)):
            current = await service.start_solo(
                guild_id=GUILD, channel_id=channel, starter_id=player, settings=solo(rounds=1)
            )
            attempt = await service.answer(current.game_id, player, current.word.word)
            assert attempt.finish is not None and attempt.finish.ending is Ending.COMPLETED
        assert (await gamification.xp.profile(ALICE, GUILD)).progress.total_xp == 0
        assert (await gamification.xp.profile(BOB, GUILD)).progress.total_xp > 0
        assert (await service.stats(GUILD, ALICE)).games_won == 1, "the record still counts"
    finally:
        await gamification.stop()


async def test_the_word_bank_is_read_at_the_first_game_and_while_a_lobby_fills(
    database: Database,
) -> None:
    """An idle bot does without its 1.1 MB (issue 16): nothing is read until a game needs it;
    a lobby has it read in the background, before its first round."""
    reads: list[str] = []

    def read() -> ClassicWordBank:
        reads.append(threading.current_thread().name)
        return bank()

    service = ClassicService(database, Preload(read), round_seconds=30, lobby_seconds=20)
    await asyncio.sleep(0.05)
    assert reads == []
    lobby = await service.open_lobby(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, settings=elimination()
    )
    async with asyncio.timeout(5):
        while not reads:  # noqa: ASYNC110  (a thread's load: nothing to await)
            await asyncio.sleep(0.01)
    assert reads[0] != threading.current_thread().name
    await service.join(lobby.game_id, BOB)
    first = await service.begin_now(lobby.game_id, ALICE)
    assert first.number == 1 and len(reads) == 1
