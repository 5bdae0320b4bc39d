"""Correctness under load: several bot processes (each with its own connection pool) award and
save XP to the same members at the same time, on SQLite and real PostgreSQL, with and without
the real Redis. Every award counts once, every level-up and unlock fires once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from gamification_helpers import CHANNEL, GUILD, OTHER_GUILD, GamificationFactory, Recorder
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models import LeaderboardEntry, User, UserAchievement
from botfleet.database.models.gamification import AchievementRule, MemberXP
from botfleet.gamification import (
    ACHIEVEMENT_EVENT,
    LEVEL_UP_EVENT,
    Gamification,
    GamificationOptions,
    LevelUp,
)
from botfleet.gamification.levels import DEFAULT_CURVE
from botfleet.gamification.periods import ALL_TIME_START

PROCESSES = 4
MEMBERS = [10_000 + index for index in range(6)]
GUILDS = [GUILD, OTHER_GUILD]
AWARDS_PER_PROCESS = 80
SMALL_BATCHES = GamificationOptions(
    message_xp_min=20, message_xp_max=20, flush_batch_size=7, flush_interval=60
)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def _work(
    gamification: Gamification,
    seed: int,
    expected: Counter[tuple[int | None, int]],
) -> None:
    """Award random XP and commands, saving now and then, yielding to the others often."""
    rng = random.Random(seed)
    for step in range(AWARDS_PER_PROCESS):
        user_id, guild_id = rng.choice(MEMBERS), rng.choice([*GUILDS, None])
        if rng.random() < 0.5:
            award = await gamification.xp.award_xp(
                user_id, rng.randint(1, 400), "quest", guild_id=guild_id
            )
        else:
            award = await gamification.xp.award_command(user_id, "play", guild_id=guild_id)
        assert award is not None
        expected[guild_id, user_id] += award.amount
        if step % 9 == 0:
            await gamification.xp.flush()
        await asyncio.sleep(0)
    await gamification.xp.flush()


def _check_chain(events: list[LevelUp], final_level: int) -> None:
    """Level-ups of one member in one scope: from level 1 to the final level, no gap, no repeat."""
    chain = sorted(events, key=lambda event: event.old_level)
    level = 1
    for event in chain:
        assert event.old_level == level, chain
        assert event.new_level > event.old_level
        level = event.new_level
    assert level == final_level


async def test_concurrent_processes_count_every_award_once(
    migrated_url: str, make_gamification: GamificationFactory
) -> None:
    recorders = [Recorder() for _ in range(PROCESSES)]
    processes = [
        make_gamification(migrated_url, options=SMALL_BATCHES, dispatch=recorder)
        for recorder in recorders
    ]
    expected: Counter[tuple[int | None, int]] = Counter()

    await asyncio.gather(
        *(_work(gamification, seed, expected) for seed, gamification in enumerate(processes))
    )

    events = [event for recorder in recorders for event in recorder.events]
    database = Database(migrated_url)
    try:
        async with database.session() as session:
            members = {
                (row.guild_id, row.user_id): row
                for row in (await session.scalars(select(MemberXP))).all()
            }
            users = {row.id: row for row in (await session.scalars(select(User))).all()}
            unlocked = {
                (row.user_id, row.achievement_id)
                for row in (await session.scalars(select(UserAchievement))).all()
                if row.progress == 100
            }
            rule_rows = await session.execute(
                select(AchievementRule.achievement_id, AchievementRule.reward_xp)
            )
            rewards = {achievement: reward for achievement, reward in rule_rows}
            all_time_xp = {
                (row.guild_id, row.user_id): row.value
                for row in (
                    await session.scalars(
                        select(LeaderboardEntry).where(
                            LeaderboardEntry.category == "xp",
                            LeaderboardEntry.period_start == ALL_TIME_START,
                        )
                    )
                ).all()
            }
    finally:
        await database.dispose()

    for (guild_id, user_id), amount in expected.items():
        if guild_id is not None:
            member = members[guild_id, user_id]
            assert member.xp == amount
            assert member.level == DEFAULT_CURVE.level_for_xp(amount)
            assert all_time_xp[guild_id, user_id] == amount
    for user_id in MEMBERS:
        earned = sum(amount for (_, member), amount in expected.items() if member == user_id)
        reward = sum(rewards[achievement] for member, achievement in unlocked if member == user_id)
        assert users[user_id].total_xp == earned + reward
        assert users[user_id].level == DEFAULT_CURVE.level_for_xp(earned + reward)
        assert all_time_xp[None, user_id] == earned + reward

    unlock_events = [
        (event.user_id, event.achievement_id) for name, event in events if name == ACHIEVEMENT_EVENT
    ]
    assert Counter(unlock_events) == Counter(unlocked)  # each unlock announced exactly once

    level_ups: dict[tuple[int | None, int], list[LevelUp]] = defaultdict(list)
    for name, event in events:
        if name == LEVEL_UP_EVENT:
            level_ups[event.guild_id, event.user_id].append(event)
    for (guild_id, user_id), chain in level_ups.items():
        final = users[user_id].level if guild_id is None else members[guild_id, user_id].level
        _check_chain(chain, final)
    for user_id in MEMBERS:
        if users[user_id].level > 1:
            assert (None, user_id) in level_ups


@pytest.fixture(params=["database only", pytest.param("redis", marks=pytest.mark.redis)])
def claims(request: pytest.FixtureRequest) -> tuple[str, str] | None:
    """Where the six bots settle who awards a message: Redis, or only the database."""
    if request.param == "redis":
        settings: tuple[str, str] = request.getfixturevalue("redis_settings")
        return settings
    return None


async def test_six_bots_seeing_the_same_messages_award_each_once(
    migrated_url: str, make_gamification: GamificationFactory, claims: tuple[str, str] | None
) -> None:
    redis = claims
    bots = ["grammar", "hangman", "spelling_bee", "mod", "utility", "music"]
    processes = [
        make_gamification(migrated_url, bot_name=bot, options=SMALL_BATCHES, redis=redis)
        for bot in bots
    ]
    # Every 20 s for 10 minutes, each of three members writes; the cooldown is 60 s.
    messages = [
        (user, T0 + timedelta(seconds=20 * tick)) for tick in range(30) for user in (1, 2, 3)
    ]

    async def listen(gamification: Gamification) -> int:
        buffered = 0
        for user_id, sent_at in messages:
            award = await gamification.xp.award_message(user_id, GUILD, CHANNEL, sent_at=sent_at)
            buffered += award is not None
            await asyncio.sleep(0)
        return buffered

    buffered = await asyncio.gather(*(listen(gamification) for gamification in processes))
    await asyncio.gather(*(gamification.xp.flush() for gamification in processes))

    if redis is not None:
        assert sum(buffered) == 30  # the Redis claim let one bot take each message
    else:
        assert sum(buffered) == 6 * 30  # each bot buffered its own; the database keeps one
    database = Database(migrated_url)
    try:
        async with database.session() as session:
            rows = (await session.scalars(select(MemberXP).order_by(MemberXP.user_id))).all()
    finally:
        await database.dispose()
    assert [(row.user_id, row.xp) for row in rows] == [(1, 200), (2, 200), (3, 200)]
