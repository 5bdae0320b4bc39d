"""The persistent timer service on SQLite and real PostgreSQL: order, wake-ups, memory timers,
restarts, exactly-once delivery across processes, failing handlers and the 0002 migration."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from botfleet import bot_names
from botfleet.config.schema import SchedulerSection, Settings
from botfleet.database import Database
from botfleet.database import base as database_base
from botfleet.database.migrate import downgrade, upgrade
from botfleet.database.models import Timer
from botfleet.services import scheduler as scheduler_module
from botfleet.services.scheduler import (
    InvalidTimerError,
    ScheduledTimer,
    Scheduler,
    Target,
)

SNOWFLAKE = 1_234_567_890_123_456_789
WAIT_SECONDS = 10.0
"""Upper bound for things that should happen within a fraction of a second; only hit on failure."""


class Recorder:
    """A dispatch callable that remembers every call, optionally raising for one event."""

    def __init__(self, fail_on: str | None = None, activity: asyncio.Event | None = None) -> None:
        self.calls: list[tuple[str, ScheduledTimer]] = []
        self.activity = activity if activity is not None else asyncio.Event()
        self._fail_on = fail_on

    def __call__(self, name: str, timer: ScheduledTimer) -> None:
        self.calls.append((name, timer))
        self.activity.set()
        if timer.event == self._fail_on:
            raise RuntimeError("the handler exploded")

    @property
    def events(self) -> list[str]:
        return [timer.event for _, timer in self.calls]

    async def wait_for_event(self, event: str) -> ScheduledTimer:
        await wait_until(lambda: event in self.events, self.activity)
        return next(timer for _, timer in self.calls if timer.event == event)


async def wait_until(done: Callable[[], bool], activity: asyncio.Event) -> None:
    """Re-check ``done()`` whenever ``activity`` is set; fail the test if it never comes true."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not done():
            activity.clear()
            await activity.wait()


@pytest.fixture
async def open_database(migrated_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Opens connections to the migrated database, one Database per simulated bot process."""
    opened: list[Database] = []

    def open_one() -> Database:
        database = Database(migrated_url)
        opened.append(database)
        return database

    yield open_one
    for database in opened:
        await database.dispose()


@pytest.fixture
async def database(open_database: Callable[[], Database]) -> Database:
    return open_database()


@pytest.fixture
async def make_scheduler() -> AsyncIterator[Callable[..., Scheduler]]:
    """Builds schedulers (no memory timers, short sleeps by default) and stops them afterwards."""
    created: list[Scheduler] = []

    def make(
        database: Database,
        dispatch: Callable[[str, ScheduledTimer], object],
        *,
        bot_name: str = "grammar",
        memory_threshold: float = 0.0,
        max_sleep: float = 30.0,
    ) -> Scheduler:
        scheduler = Scheduler(
            database,
            dispatch,
            bot_name=bot_name,
            memory_threshold=memory_threshold,
            max_sleep=max_sleep,
        )
        created.append(scheduler)
        return scheduler

    yield make
    for scheduler in created:
        await scheduler.stop()


async def _stored(database: Database) -> list[Timer]:
    async with database.session() as session:
        return list((await session.scalars(select(Timer).order_by(Timer.id))).all())


def _now() -> datetime:
    return datetime.now(UTC)


async def test_due_timers_fire_in_expiry_order_with_their_payload(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder)
    now = _now()
    payload = {"user_id": SNOWFLAKE, "text": "stretch", "nested": {"ids": [1, 2]}}
    await scheduler.schedule(now - timedelta(seconds=2), "second", {"n": 2})
    await scheduler.schedule(now + timedelta(seconds=0.3), "fifth", {"n": 5})
    await scheduler.schedule(now - timedelta(seconds=3), "first", payload)
    await scheduler.schedule(now + timedelta(seconds=0.15), "fourth", {"n": 4})
    await scheduler.schedule(now - timedelta(seconds=1), "third")
    assert len(await _stored(database)) == 5

    await scheduler.start()
    await wait_until(lambda: len(recorder.calls) == 5, recorder.activity)

    assert recorder.events == ["first", "second", "third", "fourth", "fifth"]
    assert [name for name, _ in recorder.calls] == [
        f"{event}_timer_complete" for event in recorder.events
    ]
    first = recorder.calls[0][1]
    assert first.payload == payload
    assert first.expires_at == now - timedelta(seconds=3)
    assert first.expires_at.tzinfo is not None
    assert recorder.calls[2][1].payload == {}
    assert await _stored(database) == []


async def test_schedule_returns_a_handle_matching_the_stored_row(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    scheduler = make_scheduler(database, Recorder())
    before = _now()
    timer = await scheduler.schedule(timedelta(hours=1), "reminder", {"user_id": 7})

    [row] = await _stored(database)
    assert (timer.id, timer.event, timer.payload, timer.bot_name) == (
        row.id,
        "reminder",
        {"user_id": 7},
        "grammar",
    )
    assert row.expires_at == timer.expires_at
    assert before + timedelta(hours=1) <= timer.expires_at <= _now() + timedelta(hours=1)
    assert not timer.in_memory


async def test_a_cancelled_timer_never_fires(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder)
    await scheduler.start()
    # Cancelled before anything else is stored: under load, storing "kept" first once took
    # longer than "doomed" had to live.
    doomed = await scheduler.schedule(timedelta(seconds=0.5), "doomed")
    assert await scheduler.cancel(doomed.id)
    assert not await scheduler.cancel(doomed.id)
    await scheduler.schedule(timedelta(seconds=0.6), "kept")
    await recorder.wait_for_event("kept")

    assert recorder.events == ["kept"]
    assert not await scheduler.cancel(12345)


async def test_a_sooner_timer_wakes_the_sleeping_loop(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder, max_sleep=600)
    await scheduler.start()
    await scheduler.schedule(timedelta(seconds=300), "far")
    await asyncio.sleep(0.1)  # the loop is now asleep until "far"

    await scheduler.schedule(timedelta(seconds=0.1), "soon")

    await recorder.wait_for_event("soon")
    assert recorder.events == ["soon"]


async def test_max_sleep_bounds_the_wait_for_timers_stored_by_other_processes(
    open_database: Callable[[], Database], make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    running = make_scheduler(open_database(), recorder, max_sleep=0.2)
    await running.start()
    await asyncio.sleep(0.1)  # asleep on an empty table
    other_process = make_scheduler(open_database(), Recorder())

    await other_process.schedule(_now(), "from_elsewhere")

    await recorder.wait_for_event("from_elsewhere")


async def test_short_timers_live_in_memory_only(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder, memory_threshold=5)
    await scheduler.start()

    short = await scheduler.schedule(timedelta(seconds=0.2), "short", {"user_id": 1})
    cancelled = await scheduler.schedule(timedelta(seconds=3), "cancelled")
    long = await scheduler.schedule(timedelta(seconds=60), "long")

    assert short.in_memory and short.id < 0 and cancelled.id != short.id
    assert not long.in_memory
    assert [row.id for row in await _stored(database)] == [long.id]
    assert await scheduler.cancel(cancelled.id)

    fired = await recorder.wait_for_event("short")
    assert fired == short
    assert recorder.calls[0][0] == "short_timer_complete"
    assert recorder.events == ["short"]


async def test_a_durable_timer_is_stored_even_when_short(
    database: Database, make_scheduler: Callable[..., Scheduler]
) -> None:
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder, memory_threshold=5)
    await scheduler.start()

    durable = await scheduler.schedule(timedelta(seconds=0.2), "unban", durable=True)

    assert not durable.in_memory
    assert [row.id for row in await _stored(database)] == [durable.id]
    assert await recorder.wait_for_event("unban") == durable


async def test_timers_for_another_bot_are_stored_even_when_short(
    open_database: Callable[[], Database], make_scheduler: Callable[..., Scheduler]
) -> None:
    activity = asyncio.Event()
    grammar_calls, mod_calls = Recorder(activity=activity), Recorder(activity=activity)
    grammar = make_scheduler(open_database(), grammar_calls, memory_threshold=5, max_sleep=0.2)
    mod = make_scheduler(open_database(), mod_calls, bot_name="mod", max_sleep=0.2)
    await grammar.start()
    await mod.start()

    unban = await grammar.schedule(timedelta(seconds=0.1), "unban", target="mod")
    await grammar.schedule(timedelta(seconds=0.1), "anyone", target=Target.ANY_BOT)
    await grammar.schedule(timedelta(seconds=0.1), "mine")

    assert not unban.in_memory
    assert unban.bot_name == "mod"
    await mod_calls.wait_for_event("unban")
    await wait_until(lambda: {"anyone", "mine"} <= set(grammar_calls.events), activity)
    assert mod_calls.events == ["unban"]
    assert sorted(grammar_calls.events) == ["anyone", "mine"]


async def test_any_bot_timers_fire_once_in_any_bot(
    open_database: Callable[[], Database], make_scheduler: Callable[..., Scheduler]
) -> None:
    activity = asyncio.Event()
    grammar_calls, mod_calls = Recorder(activity=activity), Recorder(activity=activity)
    grammar = make_scheduler(open_database(), grammar_calls, max_sleep=0.2)
    mod = make_scheduler(open_database(), mod_calls, bot_name="mod", max_sleep=0.2)
    for number in range(10):
        await grammar.schedule(_now(), "shared", {"n": number}, target=Target.ANY_BOT)
    await grammar.start()
    await mod.start()

    await wait_until(lambda: len(grammar_calls.calls) + len(mod_calls.calls) >= 10, activity)
    await grammar.stop()
    await mod.stop()

    numbers = [timer.payload["n"] for _, timer in grammar_calls.calls + mod_calls.calls]
    assert sorted(numbers) == list(range(10))


async def test_stopping_keeps_pending_memory_timers_for_the_next_start(
    open_database: Callable[[], Database], make_scheduler: Callable[..., Scheduler]
) -> None:
    first_run = Recorder()
    before_restart = make_scheduler(open_database(), first_run, memory_threshold=5)
    await before_restart.start()
    short = await before_restart.schedule(timedelta(seconds=0.3), "short", {"user_id": 5})
    assert short.in_memory

    await before_restart.stop()

    database = open_database()
    [row] = await _stored(database)
    assert (row.event, row.payload, row.expires_at) == ("short", {"user_id": 5}, short.expires_at)
    second_run = Recorder()
    after_restart = make_scheduler(database, second_run)
    await after_restart.start()
    fired = await second_run.wait_for_event("short")
    assert fired.payload == {"user_id": 5}
    assert first_run.calls == []


async def test_overdue_timers_fire_once_after_a_restart(
    open_database: Callable[[], Database], make_scheduler: Callable[..., Scheduler]
) -> None:
    first_run = Recorder()
    before_restart = make_scheduler(open_database(), first_run)
    await before_restart.start()
    for number in range(3):  # due late enough that three saves under load come first
        await before_restart.schedule(timedelta(seconds=0.6), "reminder", {"n": number})
    await before_restart.stop()
    await asyncio.sleep(0.7)  # the bot is down while the timers expire

    second_run = Recorder()
    after_restart = make_scheduler(open_database(), second_run)
    await after_restart.start()
    await wait_until(lambda: len(second_run.calls) == 3, second_run.activity)
    await after_restart.stop()
    assert all(timer.expires_at < _now() for _, timer in second_run.calls)

    third_run = Recorder()
    once_more = make_scheduler(open_database(), third_run)
    await once_more.schedule(_now(), "marker")
    await once_more.start()
    await third_run.wait_for_event("marker")

    assert first_run.calls == []
    assert sorted(timer.payload["n"] for _, timer in second_run.calls) == [0, 1, 2]
    assert third_run.events == ["marker"]


async def test_every_timer_fires_exactly_once_across_processes(
    open_database: Callable[[], Database],
    make_scheduler: Callable[..., Scheduler],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small claims make the processes interleave many times over the backlog.
    monkeypatch.setattr(scheduler_module, "CLAIM_BATCH_SIZE", 7)
    activity = asyncio.Event()
    recorders = [Recorder(activity=activity) for _ in range(3)]
    databases = [open_database() for _ in recorders]
    for database in databases:  # connected, as running processes are: on a loaded machine
        await database.ping()  # the first to start could otherwise claim all before one opens
    schedulers = [
        make_scheduler(database, recorder, max_sleep=0.2)
        for database, recorder in zip(databases, recorders, strict=True)
    ]
    due = _now()
    scheduled = [
        (await schedulers[0].schedule(due, "burst", {"n": number})).id for number in range(300)
    ]

    for scheduler in schedulers:
        await scheduler.start()
    await wait_until(
        lambda: sum(len(recorder.calls) for recorder in recorders) >= len(scheduled), activity
    )
    for scheduler in schedulers:
        await scheduler.stop()

    fired = Counter(timer.id for recorder in recorders for _, timer in recorder.calls)
    assert sorted(fired) == sorted(scheduled)
    assert set(fired.values()) == {1}
    assert await _stored(open_database()) == []
    assert sum(1 for recorder in recorders if recorder.calls) >= 2, "no concurrency happened"


async def test_six_bots_on_one_sqlite_file_claim_their_timers_while_a_long_save_holds_it(
    tmp_path: Path,
    sqlite_schema_template: Path,
    make_scheduler: Callable[..., Scheduler],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The soak's fleet in one process on its SQLite file: an XP save of many statements on a
    # busy loop holds the file for several busy timeouts (shrunk here to 0.1 s) at a time.
    monkeypatch.setattr(database_base, "SQLITE_BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(scheduler_module, "CLAIM_BATCH_SIZE", 7)
    shutil.copyfile(sqlite_schema_template, tmp_path / "fleet.db")
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'fleet.db'}")
    activity = asyncio.Event()
    recorders = {bot: Recorder(activity=activity) for bot in bot_names()}
    schedulers = {
        bot: make_scheduler(database, recorder, bot_name=bot, max_sleep=0.2)
        for bot, recorder in recorders.items()
    }
    scheduled = {
        bot: {(await scheduler.schedule(_now(), "tick", {"n": n})).id for n in range(30)}
        for bot, scheduler in schedulers.items()
    }

    async def long_saves() -> None:
        for save in range(3):
            async with database.session() as session:
                batch = {"id": f"batch-{save}", "at": _now()}
                insert = "INSERT INTO xp_flush_batches (id, applied_at) VALUES (:id, :at)"
                await session.execute(text(insert), batch)
                await asyncio.sleep(0.4)
                await session.commit()

    try:
        with caplog.at_level(logging.ERROR):
            saves = asyncio.create_task(long_saves())
            for scheduler in schedulers.values():
                await scheduler.start()
            await wait_until(
                lambda: sum(len(recorder.calls) for recorder in recorders.values()) >= 180,
                activity,
            )
            await saves
            for scheduler in schedulers.values():
                await scheduler.stop()
    finally:
        await database.dispose()

    assert [record.getMessage() for record in caplog.records] == []
    for bot, recorder in recorders.items():
        fired = Counter(timer.id for _, timer in recorder.calls)
        assert set(fired) == scheduled[bot]
        assert set(fired.values()) == {1}


async def test_a_failing_handler_is_logged_and_the_loop_goes_on(
    database: Database,
    make_scheduler: Callable[..., Scheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder(fail_on="explode")
    scheduler = make_scheduler(database, recorder)
    await scheduler.start()
    boom = await scheduler.schedule(_now(), "explode")
    await scheduler.schedule(timedelta(seconds=0.1), "after")

    with caplog.at_level(logging.ERROR, logger=scheduler_module.__name__):
        await recorder.wait_for_event("after")

    assert recorder.events == ["explode", "after"]
    failure = next(record for record in caplog.records if record.exc_info)
    assert f"timer {boom.id} (explode)" in failure.getMessage()
    assert scheduler.running


async def test_async_handlers_are_awaited_and_their_errors_logged(
    database: Database,
    make_scheduler: Callable[..., Scheduler],
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[str] = []
    finished: list[str] = []
    both_started = asyncio.Event()

    async def dispatch(name: str, timer: ScheduledTimer) -> None:
        started.append(name)
        if len(started) == 2:
            both_started.set()
        await asyncio.sleep(0.1)
        if timer.event == "explode":
            raise RuntimeError("async handler exploded")
        finished.append(name)

    scheduler = make_scheduler(database, dispatch)
    await scheduler.schedule(_now(), "explode")
    await scheduler.schedule(_now(), "slow")
    await scheduler.start()
    with caplog.at_level(logging.ERROR, logger=scheduler_module.__name__):
        await asyncio.wait_for(both_started.wait(), WAIT_SECONDS)
        await scheduler.stop()  # the handlers are still sleeping: stop waits for them

    assert finished == ["slow_timer_complete"]
    assert any("(explode) failed" in record.getMessage() for record in caplog.records)


class ErrorSignal(logging.Handler):
    """Sets an event when an error is logged, so a test can wait for the log line."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.seen.set()


async def test_the_loop_survives_a_database_error(
    tmp_path: Path, make_scheduler: Callable[..., Scheduler]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'late.db'}"
    database = Database(url)
    recorder = Recorder()
    scheduler = make_scheduler(database, recorder, max_sleep=0.1)
    signal = ErrorSignal()
    scheduler_logger = logging.getLogger(scheduler_module.__name__)
    scheduler_logger.addHandler(signal)
    try:
        await scheduler.start()  # no timers table yet: the poll fails
        await asyncio.wait_for(signal.seen.wait(), WAIT_SECONDS)
        assert "could not read the timers table" in signal.messages[0]
        await upgrade(url)
        await make_scheduler(database, Recorder()).schedule(_now(), "recovered")

        await recorder.wait_for_event("recovered")
    finally:
        scheduler_logger.removeHandler(signal)
        await scheduler.stop()
        await database.dispose()


@pytest.mark.parametrize(
    "event",
    ["", "Reminder", "2fast", "with space", "dash-ed", "x" * 65, "ünicode"],
)
async def test_event_names_must_be_safe_identifiers(
    tmp_path: Path, make_scheduler: Callable[..., Scheduler], event: str
) -> None:
    scheduler = make_scheduler(Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), Recorder())
    with pytest.raises(InvalidTimerError, match="not a valid name"):
        await scheduler.schedule(_now(), event)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"member": object()}, "cannot be stored as JSON"),
        ({"ratio": float("nan")}, "cannot be stored as JSON"),
        ({"ids": {1, 2}}, "cannot be stored as JSON"),
        ([1, 2], "must be a dict"),
    ],
)
async def test_payloads_must_be_json_objects(
    tmp_path: Path, make_scheduler: Callable[..., Scheduler], payload: Any, message: str
) -> None:
    scheduler = make_scheduler(Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), Recorder())
    with pytest.raises(InvalidTimerError, match=message):
        await scheduler.schedule(_now(), "reminder", payload)


async def test_times_must_be_aware_and_targets_real_bots(
    tmp_path: Path, make_scheduler: Callable[..., Scheduler]
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    scheduler = make_scheduler(database, Recorder())
    with pytest.raises(InvalidTimerError, match="naive datetime"):
        await scheduler.schedule(datetime.now(), "reminder")
    with pytest.raises(InvalidTimerError, match="no bot named 'moderation'"):
        await scheduler.schedule(_now(), "reminder", target="moderation")
    with pytest.raises(ValueError, match="no bot named 'nobody'"):
        Scheduler(database, Recorder(), bot_name="nobody")


def test_scheduler_from_settings_uses_the_bot_and_scheduler_sections(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    settings = Settings(
        bot_name="hangman", scheduler=SchedulerSection(memory_threshold=3, max_sleep=9)
    )
    scheduler = Scheduler.from_settings(database, Recorder(), settings)
    assert (scheduler.bot_name, scheduler.memory_threshold, scheduler.max_sleep) == (
        "hangman",
        3,
        9,
    )
    with pytest.raises(ValueError, match="bot name"):
        Scheduler.from_settings(database, Recorder(), Settings())


def _timers_schema(connection: Connection) -> tuple[set[str], set[str]]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if "timers" not in tables:
        return tables, set()
    return tables, {str(index["name"]) for index in inspector.get_indexes("timers")}


async def test_migration_0002_creates_and_drops_the_timers_table(database_url: str) -> None:
    async def schema() -> tuple[set[str], set[str]]:
        database = Database(database_url)
        try:
            async with database.engine.connect() as connection:
                return await connection.run_sync(_timers_schema)
        finally:
            await database.dispose()

    await upgrade(database_url, "0001")
    tables, _ = await schema()
    assert "users" in tables and "timers" not in tables

    await upgrade(database_url, "0002")
    tables, indexes = await schema()
    assert "timers" in tables
    assert "ix_timers_expires_at" in indexes

    await downgrade(database_url, "0001")
    tables, _ = await schema()
    assert "users" in tables and "timers" not in tables
