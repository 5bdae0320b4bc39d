"""The game service on real databases: games, moves, endings, records, lists, timers, privacy."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from hangman_helpers import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    GUILD,
    OTHER_CHANNEL,
    THIRD_CHANNEL,
    Clock,
    RecordingRewards,
    ServiceFactory,
    one_word_bank,
)
from sqlalchemy import func, select, update

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services import games as games_module
from botfleet.bots.hangman.services.game import MAX_MISSES, Outcome
from botfleet.bots.hangman.services.games import TIMEOUT_EVENT, Ending, HangmanService
from botfleet.bots.hangman.services.rewards import GamificationRewards
from botfleet.bots.hangman.services.scoring import PlayerStats
from botfleet.bots.hangman.services.store import (
    ChannelBusyError,
    ConcurrentMoveError,
    GameEndedError,
    GameSource,
)
from botfleet.bots.hangman.services.words import Difficulty, ListPolicy, WordBank
from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.database.models.hangman import HangmanGame, HangmanGuildWord, HangmanStats
from botfleet.errors import UserError
from botfleet.gamification import Gamification
from botfleet.services.privacy import registry
from botfleet.services.scheduler import Scheduler


async def play_letters(service: HangmanService, game_id: int, user_id: int, letters: str) -> None:
    for letter in letters:
        await service.guess_letter(game_id, user_id, letter)


async def test_one_game_per_channel_even_when_starts_race(
    make_service: ServiceFactory, database_url: str
) -> None:
    first = make_service()
    second_database = Database(database_url)
    try:
        second = make_service(database=second_database)
        outcomes = await asyncio.gather(
            first.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE),
            second.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=BOB),
            return_exceptions=True,
        )
    finally:
        await second_database.dispose()
    refused = [outcome for outcome in outcomes if isinstance(outcome, ChannelBusyError)]
    assert len(refused) == 1, outcomes
    assert "already running in this channel" in refused[0].message
    other = await first.start(guild_id=GUILD, channel_id=OTHER_CHANNEL, starter_id=CAROL)
    assert other.channel_id == OTHER_CHANNEL


async def test_everyone_plays_together_and_shares_the_win(make_service: ServiceFactory) -> None:
    rewards = RecordingRewards()
    service = make_service(rewards=rewards)
    game = await service.start(
        guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, difficulty=Difficulty.HARD
    )
    assert (game.category, game.difficulty, game.source) == ("animals", "hard", GameSource.WORDS)
    assert game.participants == (), "starting is not playing"

    move = await service.guess_letter(game.id, ALICE, "o")
    assert move.outcome is Outcome.HIT
    assert move.game.board.masked() == "o____"
    move = await service.guess_letter(game.id, BOB, "x")
    assert move.outcome is Outcome.MISS
    with pytest.raises(UserError, match="X was already guessed"):
        await service.guess_letter(game.id, ALICE, "x")

    move = await service.guess_word(game.id, BOB, "Otter")
    assert move.outcome is Outcome.SOLVED
    assert move.finish is not None
    assert (move.finish.ending, move.finish.by) == (Ending.SOLVED, BOB)
    points = 30 + 5 * (MAX_MISSES - 1)
    assert {(r.result.user_id, r.result.won, r.result.points) for r in move.finish.results} == {
        (ALICE, True, points),
        (BOB, True, points),
    }
    assert await service.game_in_channel(CHANNEL) is None, "a finished game leaves the channel"
    with pytest.raises(GameEndedError):
        await service.guess_letter(game.id, ALICE, "t")
    assert await service.stats(GUILD, BOB) == PlayerStats(
        played=1, won=1, current_streak=1, best_streak=1, points=points
    )
    assert rewards.reports == [], "rewards wait until the board is answered"
    assert await service.reward(move) == ()
    [(reported_game, reported)] = rewards.reports
    assert reported_game.id == game.id and len(reported) == 2


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
async def test_records_are_read_from_the_cache_and_a_game_end_refreshes_them_everywhere(
    make_service: ServiceFactory,
    make_cache: Callable[[bool], Awaitable[CacheHierarchy]],
    database: Database,
    with_redis: bool,
) -> None:
    """``/hangman stats`` costs no query once a record is cached; the end of a game, in this
    process or (with Redis) another, makes every process read the new record."""
    playing = make_service(cache=await make_cache(with_redis))
    asking = make_service(cache=await make_cache(True)) if with_redis else playing
    won = await playing.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(playing, won.id, ALICE, "oter")
    assert (await asking.stats(GUILD, ALICE)).played == 1
    async with database.session() as session:
        await session.execute(update(HangmanStats).values(points=999))  # behind the cache's back
        await session.commit()
    assert (await asking.stats(GUILD, ALICE)).points != 999, "answered from the cache"
    lost = await playing.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(playing, lost.id, ALICE, "abcdfg")
    async with asyncio.timeout(5):
        for delay in itertools.repeat(0.01):  # another process hears of it over Redis
            if (await asking.stats(GUILD, ALICE)).played == 2:
                break
            await asyncio.sleep(delay)
    assert (await asking.stats(GUILD, ALICE)).points == 999


async def test_six_misses_lose_and_end_the_streak(make_service: ServiceFactory) -> None:
    service = make_service()
    won = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(service, won.id, ALICE, "oter")
    lost = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(service, lost.id, ALICE, "abcdf")
    move = await service.guess_letter(lost.id, ALICE, "g")
    assert move.outcome is Outcome.LOST
    assert move.finish is not None and move.finish.ending is Ending.OUT_OF_LIVES
    stats = await service.stats(GUILD, ALICE)
    assert (stats.played, stats.won, stats.current_streak, stats.best_streak) == (2, 1, 0, 1)
    assert stats.flawless == 1


async def test_solo_games_and_members_words_refuse_the_wrong_players(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    solo = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    with pytest.raises(UserError, match="This is not your game"):
        await service.guess_letter(solo.id, BOB, "o")
    with pytest.raises(UserError, match="This is not your game"):
        await service.playable(solo.id, BOB)
    with pytest.raises(UserError, match=r"Only <@\d+> or a moderator"):
        await service.give_up(solo.id, BOB)
    given_up = await service.give_up(solo.id, BOB, moderator=True)
    assert given_up.finish is not None and given_up.finish.ending is Ending.GAVE_UP
    assert (await service.stats(GUILD, ALICE)).played == 1, "a solo player's abandoned game counts"

    with pytest.raises(UserError, match="challenge someone else"):
        await service.start_with_word(
            guild_id=GUILD, channel_id=CHANNEL, setter_id=ALICE, word="x", player_id=ALICE
        )
    with pytest.raises(UserError, match="without profanity"):
        await service.start_with_word(
            guild_id=GUILD, channel_id=CHANNEL, setter_id=ALICE, word="bullshit"
        )
    challenge = await service.start_with_word(
        guild_id=GUILD, channel_id=CHANNEL, setter_id=ALICE, word=" Sea  Lion ", player_id=BOB
    )
    assert challenge.board.secret == "sea lion"
    with pytest.raises(UserError, match="You chose this word"):
        await service.guess_letter(challenge.id, ALICE, "s")
    with pytest.raises(UserError, match="a challenge for"):
        await service.guess_letter(challenge.id, CAROL, "s")
    move = await service.guess_word(challenge.id, BOB, "sea lion")
    assert move.finish is not None and move.finish.results == ()
    assert (await service.stats(GUILD, BOB)).played == 0, "a member's word is just for fun"


async def test_hints_cost_a_life_and_can_be_switched_off(make_service: ServiceFactory) -> None:
    service = make_service(rng=random.Random(3))
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    move = await service.hint(game.id, BOB)
    assert move.outcome is Outcome.HINT
    assert move.letter in "oter"
    assert move.game.board.lives_left == MAX_MISSES - 1
    assert move.game.participants == (BOB,)

    strict = make_service(options=HangmanOptions(hints=False))
    with pytest.raises(UserError, match="switched off"):
        await strict.hint(game.id, BOB)


async def test_simultaneous_presses_are_all_kept(make_service: ServiceFactory) -> None:
    service = make_service(bank=one_word_bank("quickbrownfx"))
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    players = [ALICE, BOB, CAROL]
    await asyncio.gather(
        *(
            service.guess_letter(game.id, players[index % 3], letter)
            for index, letter in enumerate("quickbrow")
        )
    )
    saved = await service.games.get(game.id)
    assert saved is not None
    assert sorted(saved.board.guessed) == sorted("quickbrow")
    assert saved.version == 9
    assert set(saved.participants) == set(players)


async def test_a_game_whose_board_could_not_be_shown_is_dropped_without_results(
    make_service: ServiceFactory,
) -> None:
    service = make_service()
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await service.discard(game)
    assert await service.game_in_channel(CHANNEL) is None
    assert (await service.stats(GUILD, ALICE)).played == 0
    await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)


async def test_a_move_from_an_outdated_board_is_refused(make_service: ServiceFactory) -> None:
    service = make_service()
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    stale = await service.games.get(game.id)
    assert stale is not None
    await service.guess_letter(game.id, ALICE, "o")
    with pytest.raises(ConcurrentMoveError):
        await service.games.save_move(stale, datetime.now(UTC))
    await service.give_up(game.id, ALICE)
    with pytest.raises(GameEndedError):
        await service.games.save_move(stale, datetime.now(UTC))


async def test_a_press_writes_the_move_without_reading_the_game_first(
    make_service: ServiceFactory, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process keeps the games it saved; another process's move makes its copy outdated,
    and the press is then played on the stored game, as if the copy had never been."""
    here = make_service()
    game = await here.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    reads: list[int] = []
    read = here.games.get

    async def counted(game_id: int) -> object:
        reads.append(game_id)
        return await read(game_id)

    monkeypatch.setattr(here.games, "get", counted)
    await play_letters(here, game.id, ALICE, "oa")
    assert reads == [], "the moves were computed from the game in memory"
    second_database = Database(database_url)
    try:
        elsewhere = make_service(database=second_database)
        await elsewhere.guess_letter(game.id, BOB, "t")
    finally:
        await second_database.dispose()
    move = await here.guess_letter(game.id, ALICE, "e")
    assert reads == [game.id], "the outdated copy was refused by the store, then read again"
    assert move.game.board.masked() == "otte_"
    assert set(move.game.participants) == {ALICE, BOB}
    assert await here.guess_letter(game.id, ALICE, "x")
    assert reads == [game.id]


async def test_a_winning_press_on_an_outdated_copy_is_played_again_on_the_stored_game(
    make_service: ServiceFactory, database_url: str
) -> None:
    """The outdated copy's move ends the game, so the store refuses the game's end, not a
    move: the press is still played again on the stored game."""
    here = make_service()
    game = await here.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    await play_letters(here, game.id, ALICE, "ote")
    second_database = Database(database_url)
    try:
        elsewhere = make_service(database=second_database)
        await elsewhere.guess_letter(game.id, BOB, "a")
    finally:
        await second_database.dispose()
    move = await here.guess_letter(game.id, ALICE, "r")
    assert move.finish is not None and move.finish.ending is Ending.SOLVED
    assert set(move.game.participants) == {ALICE, BOB}


async def test_a_process_keeps_a_bounded_number_of_games_and_reads_the_others_again(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(games_module, "GAMES_IN_MEMORY", 1)
    service = make_service()
    first = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    await service.start(guild_id=GUILD, channel_id=CHANNEL + 1, starter_id=BOB)
    assert first.id not in service._playing, "the least recently saved game went first"
    move = await service.guess_letter(first.id, ALICE, "o")
    assert move.game.board.masked().startswith("o")


async def test_idle_games_time_out_and_busy_ones_are_checked_later(
    make_service: ServiceFactory, database: Database, clock: Clock
) -> None:
    fired: list[object] = []
    scheduler = Scheduler(
        database, lambda name, timer: fired.append(timer), bot_name="hangman", memory_threshold=0
    )
    service = make_service(scheduler=scheduler)
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    async with database.session() as session:
        [timer] = await session.scalars(select(Timer))
    assert timer.event == TIMEOUT_EVENT
    assert timer.expires_at == clock.now + timedelta(seconds=60)
    assert timer.payload["user_id"] == ALICE, "the privacy deleter finds the starter's timers"

    clock.advance(40)
    await service.guess_letter(game.id, ALICE, "o")
    clock.advance(30)
    assert await service.check_idle(timer.payload) is None, "a move 30 s ago keeps it going"
    async with database.session() as session:
        due = await session.scalar(select(func.max(Timer.expires_at)))
    assert due == clock.now + timedelta(seconds=30)

    clock.advance(30)
    assert await service.check_idle({**timer.payload, "key": "stale"}) is None
    move = await service.check_idle(timer.payload)
    assert move is not None and move.finish is not None
    assert move.finish.ending is Ending.TIMED_OUT and move.finish.by is None
    assert (await service.stats(GUILD, ALICE)).played == 1
    assert await service.check_idle(timer.payload) is None, "the game is gone"
    assert await service.check_idle({"game_id": "nonsense"}) is None


async def test_start_up_gives_every_game_a_fresh_timer(
    make_service: ServiceFactory, database: Database, clock: Clock
) -> None:
    scheduler = Scheduler(database, lambda *_: None, bot_name="hangman", memory_threshold=0)
    service = make_service(scheduler=scheduler)
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    async with database.session() as session:
        [old_timer] = await session.scalars(select(Timer))

    restarted = make_service(scheduler=scheduler)
    assert await restarted.rearm_timers() == 1
    clock.advance(61)
    assert await restarted.check_idle(old_timer.payload) is None, "the old timer is stale"
    async with database.session() as session:
        new_timer = await session.scalar(select(Timer).where(Timer.id != old_timer.id))
    assert new_timer is not None and new_timer.payload["game_id"] == game.id
    move = await restarted.check_idle(new_timer.payload)
    assert move is not None and move.finish is not None


async def test_start_up_keeps_what_members_did_while_it_rearmed_the_timers(
    make_service: ServiceFactory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members play as soon as the bot is ready, while the timers are rearmed from games read
    a moment before: a board posted since keeps its messages (presses on it edit it), a move
    made since is kept, and a game ended since stays ended, with no timer; so does a board
    another process posted (a game this process never held)."""
    scheduler = Scheduler(database, lambda *_: None, bot_name="hangman", memory_threshold=0)
    service = make_service(scheduler=scheduler)
    elsewhere = make_service(scheduler=scheduler)
    posted = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE)
    ended = await service.start(guild_id=GUILD, channel_id=OTHER_CHANNEL, starter_id=BOB)
    posted_elsewhere = await elsewhere.start(
        guild_id=GUILD, channel_id=THIRD_CHANNEL, starter_id=CAROL
    )
    read_at_start_up = await service.games.all_games()
    await service.attach_messages(posted, board_id=11, controls_id=12)
    await elsewhere.attach_messages(posted_elsewhere, board_id=21, controls_id=22)
    await service.guess_letter(posted.id, ALICE, "o")
    await service.give_up(ended.id, BOB)
    monkeypatch.setattr(service.games, "all_games", lambda: asyncio.sleep(0, read_at_start_up))
    async with database.session() as session:
        timers_before = set((await session.scalars(select(Timer.id))).all())

    assert await service.rearm_timers() == 2
    kept_elsewhere = await service.playable(posted_elsewhere.id, CAROL)
    assert (kept_elsewhere.board_message_id, kept_elsewhere.controls_message_id) == (21, 22)
    kept = await service.playable(posted.id, ALICE)
    assert (kept.board_message_id, kept.controls_message_id) == (11, 12)
    assert "o" in kept.board.guessed
    move = await service.guess_letter(posted.id, ALICE, "e")
    assert move.game.board_message_id == 11, "the next move is shown on the posted board"
    with pytest.raises(GameEndedError):
        await service.playable(ended.id, BOB)
    async with database.session() as session:
        armed = (await session.scalars(select(Timer).where(Timer.id.not_in(timers_before)))).all()
    assert sorted(timer.payload["game_id"] for timer in armed) == [posted.id, posted_elsewhere.id]


async def test_guild_lists(make_service: ServiceFactory) -> None:
    service = make_service(options=HangmanOptions(max_guild_lists=2, max_words_per_list=4))
    name, policy, added = await service.add_words(
        GUILD, "Star Wars", "Yoda, wookiee, yoda", added_by=ALICE
    )
    assert (name, policy) == ("star wars", ListPolicy.SAFE)
    assert added.added == ("yoda", "wookiee") and added.total == 2
    _, _, again = await service.add_words(GUILD, "star wars", "yoda, lightsaber", added_by=ALICE)
    assert again.added == ("lightsaber",) and again.already_there == ("yoda",)
    with pytest.raises(UserError, match="may hold 4"):
        await service.add_words(GUILD, "star wars", "droid, jedi", added_by=ALICE)
    with pytest.raises(UserError, match="“r2d2”: Use only the letters"):
        await service.add_words(GUILD, "robots", "robot, r2d2", added_by=ALICE)
    with pytest.raises(UserError, match="bundled categories"):
        await service.add_words(GUILD, "animals", "otter", added_by=ALICE)
    await service.add_words(GUILD, "robots", "robot", added_by=ALICE)
    with pytest.raises(UserError, match="2 lists already"):
        await service.add_words(GUILD, "planets", "tatooine", added_by=ALICE)

    assert [(entry.name, entry.size) for entry in await service.guild_lists(GUILD)] == [
        ("robots", 1),
        ("star wars", 3),
    ]
    assert await service.list_policy(GUILD, "star wars") is ListPolicy.SAFE
    game = await service.start(
        guild_id=GUILD,
        channel_id=CHANNEL,
        starter_id=ALICE,
        category="Star Wars",
        difficulty=Difficulty.HARD,
    )
    assert (game.source, game.category, game.board.secret) == (
        GameSource.GUILD,
        "star wars",
        "lightsaber",
    )
    with pytest.raises(UserError, match="has no medium words"):
        await service.start(
            guild_id=GUILD,
            channel_id=OTHER_CHANNEL,
            starter_id=ALICE,
            category="robots",
            difficulty=Difficulty.MEDIUM,
        )
    with pytest.raises(UserError, match=r"no category called “dragons”\. Try one of: animals"):
        await service.start(
            guild_id=GUILD, channel_id=OTHER_CHANNEL, starter_id=ALICE, category="dragons"
        )

    assert await service.remove_words(GUILD, "star wars", "YODA, droid") == ("star wars", 1)
    with pytest.raises(UserError, match="None of those words"):
        await service.remove_words(GUILD, "star wars", "droid")
    assert await service.list_words(GUILD, "star wars") == ("lightsaber", "wookiee")
    assert await service.delete_list(GUILD, "robots") == ("robots", 1)
    with pytest.raises(UserError, match="no list called “robots”"):
        await service.list_words(GUILD, "robots")


async def test_a_server_list_is_family_safe_unless_made_open(
    make_service: ServiceFactory, database: Database
) -> None:
    service = make_service()
    with pytest.raises(UserError, match="“murder”: this list is family-safe"):
        await service.add_words(GUILD, "mystery", "clue, murder", added_by=ALICE)
    assert await service.guild_lists(GUILD) == [], "nothing of a refused change is kept"
    with pytest.raises(UserError, match="“assassin”: this list is family-safe"):
        await service.add_words(GUILD, "mystery", "assassin", added_by=ALICE, policy=None)

    _, policy, added = await service.add_words(
        GUILD, "mystery", "clue, murder", added_by=ALICE, policy=ListPolicy.OPEN
    )
    assert policy is ListPolicy.OPEN and added.added == ("clue", "murder")
    _, policy, _ = await service.add_words(GUILD, "mystery", "assassin", added_by=ALICE)
    assert policy is ListPolicy.OPEN, "later words join the list under its policy"
    with pytest.raises(UserError, match="Let's keep it friendly"):
        await service.add_words(GUILD, "mystery", "bastard", added_by=ALICE)
    with pytest.raises(UserError, match=r"“mystery” was made open .* keeps the policy"):
        await service.add_words(GUILD, "mystery", "candle", added_by=ALICE, policy=ListPolicy.SAFE)
    assert await service.list_policy(GUILD, "mystery") is ListPolicy.OPEN
    async with database.session() as session:
        policies = await session.scalars(select(HangmanGuildWord.policy).distinct())
        assert list(policies) == ["open"]


async def test_a_data_deletion_request_removes_the_members_hangman_data(
    make_service: ServiceFactory, database: Database
) -> None:
    service = make_service()
    solo = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(service, solo.id, ALICE, "oter")
    shared = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=BOB)
    await service.guess_letter(shared.id, ALICE, "o")
    mine = await service.start(guild_id=GUILD, channel_id=OTHER_CHANNEL, starter_id=ALICE)
    await service.add_words(GUILD, "robots", "android", added_by=ALICE)

    report = await registry.delete_user(database, ALICE)
    assert report["hangman"] == 4, "stats row, her game, her list word, her place in Bob's game"
    async with database.session() as session:
        assert await session.get(HangmanStats, (GUILD, ALICE)) is None
        assert await session.get(HangmanGame, mine.id) is None
        remaining = await session.get(HangmanGame, shared.id)
        assert remaining is not None and remaining.participants == []
        word = await session.get(HangmanGuildWord, (GUILD, "robots", "android"))
        assert word is not None and word.added_by is None


async def test_results_earn_xp_and_hangman_achievements(
    make_service: ServiceFactory, database: Database
) -> None:
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="hangman")
    try:
        service = make_service(rewards=GamificationRewards(gamification))
        game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
        await play_letters(service, game.id, ALICE, "ote")
        await service.reward(await service.guess_letter(game.id, ALICE, "r"))
        names = {item.definition.name for item in await gamification.achievements.unlocked(ALICE)}
        assert {"Flawless", "First Victory"} <= names
        profile = await gamification.xp.profile(ALICE, GUILD)
        assert profile.progress.total_xp > 0
    finally:
        await gamification.stop()


async def test_a_broken_reward_service_never_breaks_the_game(
    make_service: ServiceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def report(self, *_: object) -> tuple[()]:
            raise RuntimeError("gamification down")

    service = make_service(rewards=Broken())
    game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
    await play_letters(service, game.id, ALICE, "ote")
    move = await service.guess_letter(game.id, ALICE, "r")
    assert move.finish is not None and move.finish.ending is Ending.SOLVED
    assert await service.reward(move) == ()
    assert (await service.stats(GUILD, ALICE)).won == 1
    assert "could not report the results" in caplog.text


def test_the_bundled_bank_works_with_the_service_defaults() -> None:
    bank = WordBank.bundled()
    category, word = bank.pick(None, HangmanOptions().default_difficulty, random.Random(1))
    assert word in category.words[Difficulty.MEDIUM]


async def test_two_admins_adding_the_same_word_at_once_get_a_clear_answer(
    make_service: ServiceFactory,
) -> None:
    first, second = make_service(), make_service()
    results = await asyncio.gather(
        first.add_words(GUILD, "robots", "robot, android", added_by=ALICE),
        second.add_words(GUILD, "robots", "robot, android", added_by=ALICE),
        return_exceptions=True,
    )
    refused = [result for result in results if isinstance(result, BaseException)]
    assert all(isinstance(error, UserError) for error in refused), refused
    assert [(entry.name, entry.size) for entry in await first.guild_lists(GUILD)] == [("robots", 2)]


async def test_an_ended_games_id_is_never_reused(database: Database) -> None:
    async with database.session() as session:
        for channel in (1, 2):
            session.add(
                HangmanGame(
                    guild_id=GUILD,
                    channel_id=channel,
                    starter_id=ALICE,
                    word="otter",
                    category="animals",
                    source="bundled",
                )
            )
        await session.commit()
        highest = await session.scalar(select(func.max(HangmanGame.id)))
        await session.execute(HangmanGame.__table__.delete().where(HangmanGame.id == highest))
        session.add(
            HangmanGame(
                guild_id=GUILD,
                channel_id=3,
                starter_id=ALICE,
                word="otter",
                category="animals",
                source="bundled",
            )
        )
        await session.commit()
        newest = await session.scalar(select(func.max(HangmanGame.id)))
    assert highest is not None and newest is not None and newest > highest


async def test_no_xp_roles_apply_to_game_results(
    make_service: ServiceFactory, database: Database
) -> None:
    muted_role = 4242
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="hangman")
    try:
        await gamification.settings.set_no_xp_role(GUILD, muted_role, True)
        rewards = GamificationRewards(
            gamification, role_ids_of=lambda guild_id, user_id: [muted_role]
        )
        service = make_service(rewards=rewards)
        game = await service.start(guild_id=GUILD, channel_id=CHANNEL, starter_id=ALICE, solo=True)
        await play_letters(service, game.id, ALICE, "ote")
        await service.reward(await service.guess_letter(game.id, ALICE, "r"))
        profile = await gamification.xp.profile(ALICE, GUILD)
        assert profile.progress.total_xp == 0
        assert (await service.stats(GUILD, ALICE)).won == 1, "the game record still counts"
    finally:
        await gamification.stop()
