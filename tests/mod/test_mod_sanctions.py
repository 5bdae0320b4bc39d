"""Bans in force: a later ban outlives an earlier tempban's timer; unbans retry, then give up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from mod_helpers import ALICE, GUILD, Clock
from sqlalchemy import select

from botfleet.bots.mod.services.sanctions import (
    UNBAN_EVENT,
    BanInForce,
    BanService,
    UnbanDecision,
    UnbanRetryPolicy,
    UnbanTimer,
    decide_unban,
)
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.services.scheduler import ScheduledTimer, Scheduler


def _scheduler(database: Database) -> Scheduler:
    return Scheduler(database, lambda name, timer: None, bot_name="mod")


async def _unban_timers(database: Database) -> list[Timer]:
    async with database.session() as session:
        return list(await session.scalars(select(Timer).where(Timer.event == UNBAN_EVENT)))


def test_only_the_ban_in_force_is_lifted_by_its_own_timer() -> None:
    timer = UnbanTimer(GUILD, ALICE, case_number=4)
    until = datetime(2026, 1, 6, tzinfo=UTC)

    assert decide_unban(BanInForce(GUILD, ALICE, 4, until, 1), timer) is UnbanDecision.UNBAN
    assert decide_unban(BanInForce(GUILD, ALICE, 7, None, None), timer) is UnbanDecision.SUPERSEDED
    assert decide_unban(BanInForce(GUILD, ALICE, 7, until, 2), timer) is UnbanDecision.SUPERSEDED
    assert decide_unban(BanInForce(GUILD, ALICE, 4, None, None), timer) is UnbanDecision.SUPERSEDED
    assert decide_unban(None, timer) is UnbanDecision.LIFTED


def test_the_retry_policy_is_bounded_and_backs_off() -> None:
    policy = UnbanRetryPolicy(attempts=3, first_delay=timedelta(minutes=1), factor=4)

    delays = [policy.delay(failures) for failures in range(1, 5)]

    assert delays == [timedelta(minutes=1), timedelta(minutes=4), timedelta(minutes=16), None]
    with pytest.raises(ValueError, match="at least one failure"):
        policy.delay(0)


async def test_a_later_permanent_ban_cancels_the_tempbans_unban(
    database: Database, clock: Clock
) -> None:
    bans = BanService(database, _scheduler(database))

    tempban = await bans.record(GUILD, ALICE, case_number=1, until=clock.now + timedelta(days=1))
    assert [timer.payload["case_number"] for timer in await _unban_timers(database)] == [1]

    permanent = await bans.record(GUILD, ALICE, case_number=2, until=None)

    assert await _unban_timers(database) == []
    assert await bans.current(GUILD, ALICE) == permanent
    stale = UnbanTimer(GUILD, ALICE, tempban.case_number)
    assert await bans.decide(stale) is UnbanDecision.SUPERSEDED


async def test_an_unban_by_hand_cancels_the_timer(database: Database, clock: Clock) -> None:
    bans = BanService(database, _scheduler(database))
    recorded = await bans.record(GUILD, ALICE, case_number=1, until=clock.now + timedelta(days=1))

    assert await bans.lifted(GUILD, ALICE) == recorded
    assert await _unban_timers(database) == []
    assert await bans.decide(UnbanTimer(GUILD, ALICE, 1)) is UnbanDecision.LIFTED
    assert await bans.lifted(GUILD, ALICE) is None


async def test_a_tempban_is_lifted_after_a_restart(database: Database, migrated_url: str) -> None:
    before_restart = BanService(database, _scheduler(database))
    await before_restart.record(
        GUILD, ALICE, case_number=3, until=datetime.now(UTC) - timedelta(seconds=1)
    )

    fired: asyncio.Queue[ScheduledTimer] = asyncio.Queue()
    restarted_database = Database(migrated_url)
    scheduler = Scheduler(
        restarted_database, lambda name, timer: fired.put_nowait(timer), bot_name="mod"
    )
    await scheduler.start()
    try:
        async with asyncio.timeout(10):
            timer = await fired.get()
        decision = await BanService(restarted_database, scheduler).decide(
            UnbanTimer.from_timer(timer)
        )
    finally:
        await scheduler.stop()
        await restarted_database.dispose()

    assert timer.dispatch_name == "mod_unban_timer_complete"
    assert decision is UnbanDecision.UNBAN


async def test_a_failing_unban_is_retried_then_given_up_with_one_log_line(
    database: Database, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    policy = UnbanRetryPolicy(attempts=2, first_delay=timedelta(minutes=1), factor=2)
    bans = BanService(database, _scheduler(database), policy)
    await bans.record(GUILD, ALICE, case_number=1, until=clock.now)
    timer = UnbanTimer(GUILD, ALICE, 1)

    first = await bans.retry_later(timer, clock.now)
    assert first is not None
    second = await bans.retry_later(UnbanTimer.from_timer(first), clock.now)
    assert second is not None
    assert second.expires_at == clock.now + timedelta(minutes=2)
    assert second.payload["attempt"] == 2
    ban = await bans.current(GUILD, ALICE)
    assert ban is not None
    assert ban.timer_id == second.id

    with caplog.at_level("ERROR"):
        assert await bans.retry_later(UnbanTimer.from_timer(second), clock.now) is None
    assert [record.message for record in caplog.records].count(
        f"Giving up lifting the tempban of case #1 in guild {GUILD} after 3 failed tries"
    ) == 1
