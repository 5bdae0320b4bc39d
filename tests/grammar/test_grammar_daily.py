"""The daily post's schedule and claim, and answers to its question, on SQLite and PostgreSQL.

Times are checked across the 2026 daylight saving changes of Europe/Paris (29 March: 02:00
becomes 03:00; 25 October: 03:00 goes back to 02:00).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from botfleet.bots.grammar.services.daily import (
    TIMER_EVENT,
    DailyError,
    DailyPosts,
    next_post_at,
    parse_post_time,
)
from botfleet.bots.grammar.services.lessons import Lessons
from botfleet.bots.grammar.services.quiz import QuizError, QuizService, streaks
from botfleet.bots.grammar.services.store import delete_user_data
from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database.base import Database
from botfleet.database.models.grammar import (
    GrammarDailySchedule,
    GrammarQuizAnswer,
    GrammarQuizPost,
)
from botfleet.database.models.timer import Timer
from botfleet.errors import UserError
from botfleet.gamification import Gamification
from botfleet.services.scheduler import Scheduler
from botfleet.utils.timezones import all_zones

PARIS = ZoneInfo("Europe/Paris")
GUILD = 1_234_567_890_123_456_789
CHANNEL = 55
ADMIN = 777
ADA = 987_654_321_098_765_432
BOB = 555


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def posts_service(database: Database, clock: Clock) -> DailyPosts:
    scheduler = Scheduler(database, lambda name, timer: None, bot_name="grammar")
    return DailyPosts(database, scheduler, Lessons.bundled(), all_zones(), clock=clock)


async def timers(database: Database) -> list[Timer]:
    async with database.session() as session:
        return list((await session.scalars(select(Timer))).all())


# --- Times and zones -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("7:05", time(7, 5))])
def test_times_are_read_on_the_24_hour_clock(text: str, expected: time) -> None:
    assert parse_post_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "9am", "12:60", "", "noon"])
def test_other_times_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(DailyError, match="HH:MM"):
        parse_post_time(text)


def test_a_daily_time_keeps_its_wall_clock_across_both_changes() -> None:
    nine = time(9)
    assert next_post_at(nine, PARIS, after=utc(2026, 3, 28, 9)) == utc(2026, 3, 29, 7)
    assert next_post_at(nine, PARIS, after=utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)
    assert next_post_at(nine, PARIS, after=utc(2026, 10, 24, 8)) == utc(2026, 10, 25, 8)
    assert next_post_at(nine, PARIS, after=utc(2026, 3, 28, 8)) == utc(2026, 3, 29, 7)


def test_a_time_the_change_skips_posts_after_the_jump_and_comes_back_the_next_day() -> None:
    half_past_two = time(2, 30)
    skipped = next_post_at(half_past_two, PARIS, after=utc(2026, 3, 28, 12))
    assert skipped == utc(2026, 3, 29, 1, 30)  # 03:30 summer time
    assert next_post_at(half_past_two, PARIS, after=skipped) == utc(2026, 3, 30, 0, 30)
    twice = next_post_at(half_past_two, PARIS, after=utc(2026, 10, 24, 12))
    assert twice == utc(2026, 10, 25, 0, 30)  # the first of the two 02:30s


def test_streaks_count_days_in_a_row_up_to_yesterday() -> None:
    today = date(2026, 5, 10)
    days = [today - timedelta(days=n) for n in (1, 2, 3, 6, 7)]
    assert streaks(days, today) == (3, 3)
    assert streaks([*days, today], today) == (4, 4)
    assert streaks([today - timedelta(days=2)], today) == (0, 1)
    assert streaks([], today) == (0, 0)


# --- Schedules ----------------------------------------------------------------------------


async def test_setting_stores_the_schedule_and_one_alarm(database: Database) -> None:
    clock = Clock(utc(2026, 3, 28, 10))
    posts = posts_service(database, clock)
    schedule = await posts.set(GUILD, CHANNEL, "09:00", "paris", ADMIN)
    assert (schedule.timezone, schedule.next_post_at) == ("Europe/Paris", utc(2026, 3, 29, 7))
    moved = await posts.set(GUILD, CHANNEL + 1, "18:30", None, ADMIN)
    assert (moved.timezone, moved.next_post_at) == ("UTC", utc(2026, 3, 28, 18, 30))
    alarms = await timers(database)
    assert len(alarms) == 1 and alarms[0].event == TIMER_EVENT  # the first alarm was cancelled
    assert alarms[0].payload == {"guild_id": GUILD, "due_at": moved.next_post_at.isoformat()}
    shown = await posts.get(GUILD)
    assert shown is not None and (shown.channel_id, shown.post_time) == (CHANNEL + 1, time(18, 30))
    assert await posts.disable(GUILD, ADMIN) is not None
    assert await posts.get(GUILD) is None and await timers(database) == []
    assert await posts.disable(GUILD, ADMIN) is None


async def test_bad_times_and_zones_are_refused(database: Database) -> None:
    posts = posts_service(database, Clock(utc(2026, 3, 28, 10)))
    with pytest.raises(UserError, match="HH:MM"):
        await posts.set(GUILD, CHANNEL, "25:00", None, ADMIN)
    with pytest.raises(UserError, match="I don't know the time zone"):
        await posts.set(GUILD, CHANNEL, "09:00", "Mars/Olympus", ADMIN)
    assert await posts.get(GUILD) is None


async def test_a_post_is_claimed_once_and_the_schedule_moves_a_day_across_dst(
    database: Database,
) -> None:
    clock = Clock(utc(2026, 3, 27, 10))
    posts = posts_service(database, clock)
    first = (await posts.set(GUILD, CHANNEL, "09:00", "Europe/Paris", ADMIN)).next_post_at
    assert first == utc(2026, 3, 28, 8)
    clock.now = first
    post = await posts.claim(GUILD, first)
    assert post is not None and post.day == date(2026, 3, 28)
    assert (post.tip, post.question) == Lessons.bundled().of_day(GUILD, date(2026, 3, 28))
    assert await posts.claim(GUILD, first) is None  # a second alarm for the same post
    schedule = await posts.get(GUILD)
    assert schedule is not None and schedule.next_post_at == utc(2026, 3, 29, 7)  # 09:00 CEST
    alarms = await timers(database)
    assert [alarm.payload["due_at"] for alarm in alarms if alarm.expires_at > first] == [
        utc(2026, 3, 29, 7).isoformat()
    ]


async def test_two_processes_claiming_at_once_make_one_post(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts = posts_service(database, clock)
    due = (await posts.set(GUILD, CHANNEL, "08:00", None, ADMIN)).next_post_at
    clock.now = due
    other = posts_service(database, clock)
    results = await asyncio.gather(*(service.claim(GUILD, due) for service in (posts, other) * 3))
    assert len([post for post in results if post is not None]) == 1
    async with database.session() as session:
        assert len((await session.scalars(select(GrammarQuizPost))).all()) == 1


async def test_a_new_time_set_after_todays_post_starts_tomorrow(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts = posts_service(database, clock)
    due = (await posts.set(GUILD, CHANNEL, "08:00", None, ADMIN)).next_post_at
    clock.now = due
    assert await posts.claim(GUILD, due) is not None
    later = await posts.set(GUILD, CHANNEL, "20:00", None, ADMIN)
    assert later.next_post_at == utc(2026, 6, 2, 20)


async def test_lost_alarms_are_made_again(database: Database) -> None:
    posts = posts_service(database, Clock(utc(2026, 6, 1, 6)))
    await posts.set(GUILD, CHANNEL, "08:00", None, ADMIN)
    assert await posts.restore_timers() == 0
    async with database.session() as session:
        await session.execute(delete(Timer))  # as if a crash ate the claimed timer
        await session.commit()
    assert await posts.restore_timers() == 1
    assert len(await timers(database)) == 1
    async with database.session() as session:
        row = (await session.scalars(select(GrammarDailySchedule))).one()
    assert row.timer_id == (await timers(database))[0].id


# --- Answers ------------------------------------------------------------------------------


async def posted(database: Database, clock: Clock) -> tuple[DailyPosts, int]:
    posts = posts_service(database, clock)
    due = (await posts.set(GUILD, CHANNEL, "08:00", None, ADMIN)).next_post_at
    clock.now = due
    post = await posts.claim(GUILD, due)
    assert post is not None
    return posts, post.id


async def test_one_answer_per_member_with_counts_record_and_achievement(
    database: Database,
) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts, post_id = await posted(database, clock)
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="grammar")
    try:
        quiz = QuizService(database, posts, gamification, clock=clock)
        question = (await quiz.post(post_id)).question
        wrong = (question.answer + 1) % len(question.choices)
        right = await quiz.answer(post_id, ADA, question.answer)
        assert right.correct and right.record is not None
        assert (right.record.answered, right.record.right, right.record.streak) == (1, 1, 1)
        with pytest.raises(QuizError, match="already answered"):
            await quiz.answer(post_id, ADA, wrong)
        missed = await quiz.answer(post_id, BOB, wrong)
        assert not missed.correct and missed.counts[wrong] == 1
        assert missed.counts[question.answer] == 1 and sum(missed.counts) == 2
        with pytest.raises(QuizError, match="not one of"):
            await quiz.answer(post_id, 9, 7)
        with pytest.raises(QuizError, match="no longer available"):
            await quiz.answer(post_id + 100, ADA, 0)
        await gamification.xp.flush()
        names = {item.definition.name for item in await gamification.achievements.unlocked(ADA)}
        assert "Quick Study" in names
        assert "Quick Study" not in {
            item.definition.name for item in await gamification.achievements.unlocked(BOB)
        }
    finally:
        await gamification.stop()


async def test_a_members_quiz_record_is_cached_until_they_answer(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts, post_id = await posted(database, clock)
    cache = CacheHierarchy(MemoryCache(1000))
    gamification = Gamification(database, cache, bot_name="grammar")
    try:
        quiz = QuizService(database, posts, gamification, cache=cache, clock=clock)
        assert (await quiz.record(ADA, GUILD)).answered == 0
        question = (await quiz.post(post_id)).question
        verdict = await quiz.answer(post_id, ADA, question.answer)
        assert verdict.record is not None and verdict.record.right == 1, "the answer refreshed it"
        async with database.session() as session:
            await session.execute(update(GrammarQuizAnswer).values(correct=False))  # behind it
            await session.commit()
        assert (await quiz.record(ADA, GUILD)).right == 1, "read from the cache"
    finally:
        await gamification.stop()


async def test_presses_at_once_store_one_answer_per_member(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts, post_id = await posted(database, clock)
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="grammar")
    try:
        quiz = QuizService(database, posts, gamification, clock=clock)
        presses = [quiz.answer(post_id, member, 0) for member in (ADA, BOB) for _ in range(4)]
        results = await asyncio.gather(*presses, return_exceptions=True)
        taken = [result for result in results if not isinstance(result, BaseException)]
        refused = [result for result in results if isinstance(result, QuizError)]
        assert len(taken) == 2 and len(refused) == 6
        question = (await quiz.post(post_id)).question
        assert sum(await quiz.counts(post_id, question)) == 2
    finally:
        await gamification.stop()


async def test_a_week_of_answers_makes_a_streak(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts = posts_service(database, clock)
    await posts.set(GUILD, CHANNEL, "08:00", None, ADMIN)
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="grammar")
    try:
        quiz = QuizService(database, posts, gamification, clock=clock)
        for _ in range(7):
            schedule = await posts.get(GUILD)
            assert schedule is not None
            clock.now = schedule.next_post_at
            post = await posts.claim(GUILD, schedule.next_post_at)
            assert post is not None
            verdict = await quiz.answer(post.id, ADA, (post.question.answer + 1) % 2)
        assert verdict.record is not None and verdict.record.streak == 7
        await gamification.xp.flush()
        names = {item.definition.name for item in await gamification.achievements.unlocked(ADA)}
        assert "Week of Words" in names
        clock.now += timedelta(days=2)
        record = await quiz.record(ADA, GUILD)
        assert (record.answered, record.streak, record.best_streak) == (7, 0, 7)
    finally:
        await gamification.stop()


async def test_a_deletion_request_removes_answers_and_the_admins_name(database: Database) -> None:
    clock = Clock(utc(2026, 6, 1, 6))
    posts, post_id = await posted(database, clock)
    gamification = Gamification(database, CacheHierarchy(MemoryCache(1000)), bot_name="grammar")
    try:
        quiz = QuizService(database, posts, gamification, clock=clock)
        await quiz.answer(post_id, ADMIN, 0)
        await quiz.answer(post_id, ADA, 0)
    finally:
        await gamification.stop()
    async with database.session() as session:
        assert await delete_user_data(session, ADMIN) == 2
        await session.commit()
        answers = (await session.scalars(select(GrammarQuizAnswer))).all()
        schedule = (await session.scalars(select(GrammarDailySchedule))).one()
    assert [answer.user_id for answer in answers] == [ADA]
    assert schedule.set_by is None
