"""Achievements as data: the seeded catalogue, progress per member, unlocks exactly once even
when two processes race, rewards, and explicit grants; on SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from gamification_helpers import ADA, BOB, CHANNEL, GUILD, GamificationFactory, Recorder
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models import User, UserAchievement
from botfleet.gamification import (
    ACHIEVEMENT_EVENT,
    LEVEL_UP_EVENT,
    AchievementUnlocked,
    GameEnding,
    GameResult,
    GamificationOptions,
    Rarity,
    XPSource,
    progress_bar,
)
from botfleet.gamification.achievements import AchievementDefinition, UnknownAchievementError
from botfleet.gamification.events import announcer_of

NO_SPREAD = GamificationOptions(message_xp_min=20, message_xp_max=20)


async def total_xp(database: Database, user_id: int) -> int:
    async with database.session() as session:
        user = await session.get(User, user_id)
    return 0 if user is None else user.total_xp


async def test_the_catalogue_is_seeded_as_data(
    database: Database, make_gamification: GamificationFactory
) -> None:
    # Later migrations (a bot's own achievements) add to the catalogue; 0003 seeded these.
    definitions = [
        definition
        for definition in await make_gamification(database).achievements.definitions()
        if 1001 <= definition.id <= 1020
    ]

    assert len(definitions) == 20
    assert {definition.rarity for definition in definitions} == {rarity.value for rarity in Rarity}
    assert all(definition.metric and definition.target for definition in definitions)
    by_name = {definition.name: definition for definition in definitions}
    assert (by_name["Pangram Hunter"].metric, by_name["Pangram Hunter"].target) == (
        "spelling_bee:pangram",
        1,
    )
    assert (by_name["Legend"].rarity, by_name["Legend"].reward_xp) == ("legendary", 1500)


async def test_progress_is_tracked_in_percent_and_shown_as_bars(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, options=NO_SPREAD)
    for _ in range(37):
        await gamification.xp.award_command(ADA, "define", guild_id=GUILD)
    await gamification.xp.report_game(
        [GameResult(ADA, GameEnding.WIN, streak=3)], guild_id=GUILD, save_now=False
    )
    await gamification.xp.flush()

    progress = {
        item.definition.name: item for item in await gamification.achievements.progress(ADA)
    }

    assert progress["Curious"].unlocked
    assert progress["Curious"].unlocked_at is not None
    assert (progress["Power User"].percent, progress["Power User"].unlocked_at) == (37, None)
    assert progress["Power User"].bar() == "▰▰▰▱▱▱▱▱▱▱"
    assert progress["On a Roll"].percent == 60
    assert progress["Chatterbox"].percent == 0
    assert [item.definition.name for item in await gamification.achievements.unlocked(ADA)] == [
        "Curious",
        "First Victory",
    ]

    await gamification.xp.report_game(
        [GameResult(ADA, GameEnding.LOSS, streak=0)], guild_id=GUILD, save_now=False
    )
    await gamification.xp.flush()
    progress = {
        item.definition.name: item for item in await gamification.achievements.progress(ADA)
    }
    assert progress["On a Roll"].percent == 60  # progress never goes back


async def test_two_processes_racing_unlock_each_achievement_once(
    migrated_url: str, make_gamification: GamificationFactory
) -> None:
    recorders = [Recorder(), Recorder()]
    first, second = (
        make_gamification(migrated_url, dispatch=recorder, options=NO_SPREAD)
        for recorder in recorders
    )
    members = [ADA + index for index in range(8)]
    for member in members:
        for _ in range(9):
            await first.xp.award_command(member, "play")
    await first.xp.flush()
    recorders[0].events.clear()

    for member in members:  # the 10th command and a first win, from two bots at once
        await first.xp.award_command(member, "play")
        await second.xp.award_command(member, "play")
        await first.xp.report_game([GameResult(member, GameEnding.WIN)], save_now=False)
        await second.xp.report_game([GameResult(member, GameEnding.WIN)], save_now=False)
    await asyncio.gather(first.xp.flush(), second.xp.flush())

    unlocks = [
        (event.user_id, event.name)
        for recorder in recorders
        for event in recorder.named(ACHIEVEMENT_EVENT)
    ]
    assert sorted(unlocks) == sorted(
        (member, name) for member in members for name in ("Curious", "First Victory")
    )
    database = Database(migrated_url)
    try:
        for member in members:
            # 11 commands, two wins, and the First Victory reward exactly once.
            assert await total_xp(database, member) == 11 * 5 + 2 * 25 + 50
    finally:
        await database.dispose()


async def test_rewards_can_lift_a_member_and_unlock_more(
    database: Database, make_gamification: GamificationFactory
) -> None:
    recorder = Recorder()
    gamification = make_gamification(database, dispatch=recorder)

    # 1,100 XP is level 5 (from 770), which unlocks "Getting Started": its 50 XP reach 1,150,
    # past level 6 (1,130). One transaction, one level-up event from 1 to 6.
    await gamification.xp.award_xp(ADA, 1100, "quest", channel_id=CHANNEL)
    await gamification.xp.flush()

    assert await total_xp(database, ADA) == 1150
    assert [event.name for event in recorder.named(ACHIEVEMENT_EVENT)] == ["Getting Started"]
    assert [(e.old_level, e.new_level) for e in recorder.named(LEVEL_UP_EVENT)] == [(1, 6)]


async def test_granting_by_hand_unlocks_once_with_its_reward(
    database: Database, make_gamification: GamificationFactory
) -> None:
    recorder = Recorder()
    gamification = make_gamification(database, dispatch=recorder)

    unlocked = await gamification.achievements.grant(BOB, "legend", guild_id=GUILD)
    again = await gamification.achievements.grant(BOB, "Legend", guild_id=GUILD)

    assert isinstance(unlocked, AchievementUnlocked)
    assert (unlocked.name, unlocked.reward_xp, unlocked.guild_id) == ("Legend", 1500, GUILD)
    assert again is None
    # 1,500 XP is level 6: "Getting Started" (level 5) comes with it, and its 50 XP.
    assert await total_xp(database, BOB) == 1550
    assert [event.name for event in recorder.named(ACHIEVEMENT_EVENT)] == [
        "Legend",
        "Getting Started",
    ]
    assert [(e.guild_id, e.new_level) for e in recorder.named(LEVEL_UP_EVENT)] == [(None, 6)]
    with pytest.raises(UnknownAchievementError, match="There is no achievement called “Nope”"):
        await gamification.achievements.grant(BOB, "Nope")
    async with database.session() as session:
        rows = (await session.scalars(select(UserAchievement))).all()
    assert sorted((row.achievement_id, row.progress) for row in rows) == [
        (1001, 100),
        (1002, 60),  # level 6 of 10
        (1003, 24),  # level 6 of 25
        (1004, 100),
    ]


def test_progress_arithmetic_and_bars() -> None:
    definition = AchievementDefinition(1, "x", None, None, None, 0, None, "wins", 3)

    assert [definition.percent_for(value) for value in (0, 1, 2, 3, 9)] == [0, 33, 66, 100, 100]
    assert progress_bar(0) == "▱" * 10
    assert progress_bar(99) == "▰" * 9 + "▱"
    assert progress_bar(100, width=4) == "▰▰▰▰"


async def test_unlocks_name_what_earned_them_and_a_game_outranks_chat(
    database: Database, make_gamification: GamificationFactory
) -> None:
    """Chat achievements go to the host bot, a game's to its bot, even when saved together."""
    recorder = Recorder()
    gamification = make_gamification(database, options=NO_SPREAD, dispatch=recorder)
    await gamification.xp.award_message(ADA, GUILD, CHANNEL, [])
    await gamification.xp.flush()
    await gamification.xp.report_game(
        [GameResult(ADA, GameEnding.WIN)], guild_id=GUILD, channel_id=CHANNEL, save_now=False
    )
    await gamification.xp.award_message(BOB, GUILD, CHANNEL, [])
    await gamification.xp.award_command(ADA, "define", guild_id=GUILD, channel_id=CHANNEL)
    await gamification.xp.flush()

    unlocks = {(event.user_id, event.name): event for event in recorder.named(ACHIEVEMENT_EVENT)}
    first_words = unlocks[ADA, "First Words"]
    assert first_words.from_chat
    assert announcer_of(first_words, "utility") == "utility"
    victory = unlocks[ADA, "First Victory"]
    assert (victory.source, victory.bot_name) == (XPSource.GAME, "hangman")
    assert announcer_of(victory, "utility") == "hangman"
    assert unlocks[BOB, "First Words"].from_chat
