"""Persistent timers: reminders, temp-bans and daily posts that outlive a restart.

A timer is a row of the ``timers`` table. Each bot process runs one :class:`Scheduler` whose
single background task sleeps until the soonest timer that process may fire is due, claims it
and dispatches ``f"{event}_timer_complete"``. The bot base passes ``bot.dispatch``, so a cog
handles a ``reminder`` timer in ``on_reminder_timer_complete(self, timer)``.

Delivery is "late but once" (at most once): a process claims due timers by deleting their rows
in the statement that selects them, commits, and only then dispatches. Two processes can never
claim the same row (PostgreSQL: ``FOR UPDATE SKIP LOCKED`` and the row lock taken by DELETE;
SQLite: one writer at a time), so a timer never fires twice, even with many processes polling
one database. The price: a process that dies between that commit and the dispatch loses the
timers it had just claimed. A handler that raises is logged and not retried.

Timers due within ``memory_threshold`` seconds skip the database and live in this process as
asyncio tasks, which keeps the many short timers (cooldowns, "in 30 seconds") off the disk. A
graceful :meth:`Scheduler.stop` writes those still pending to the table so the next start fires
them; a crash loses them. A timer whose loss no crash may cause (the end of a tempban) is
scheduled ``durable`` and stored whatever its delay.

Timers that concern a member keep the member's id in ``payload["user_id"]``: that is how a
data-deletion request (:mod:`botfleet.services.privacy`) finds them.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import itertools
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, delete, or_, select

from botfleet import bot_names
from botfleet.config.schema import Settings
from botfleet.database.base import Database
from botfleet.database.models.timer import Timer
from botfleet.errors import BotfleetError
from botfleet.utils.tasks import wait_at_most

logger = logging.getLogger(__name__)

EVENT_NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""Event names end up in handler names (``on_<event>_timer_complete``): snake_case only."""

CLAIM_BATCH_SIZE: Final = 100
"""Due timers claimed per statement; a backlog is drained batch after batch."""

MIN_SLEEP_SECONDS: Final = 0.05
"""Shortest nap between polls, so a due row another process holds locked is not spun on."""

ERROR_RETRY_SECONDS: Final = 1.0
"""First pause after the database failed; it doubles on each failure in a row."""

MAX_ERROR_RETRY_SECONDS: Final = 60.0

LATE_LOG_SECONDS: Final = 5.0
"""A timer fired later than this (usually after downtime) gets an operator log line."""


class Target(enum.Enum):
    """Which bot processes may fire a timer, for the cases not naming one bot."""

    THIS_BOT = "this_bot"
    """The kind of bot that scheduled it (the default)."""
    ANY_BOT = "any_bot"
    """Whichever bot process with a running scheduler gets to it first."""


class InvalidTimerError(BotfleetError, ValueError):
    """A timer that cannot be scheduled as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class ScheduledTimer:
    """A timer as :meth:`Scheduler.schedule` returns it and as its handler receives it.

    ``id`` is the row id for stored timers and a negative, process-unique number for timers
    kept in memory (``in_memory``); :meth:`Scheduler.cancel` takes either.
    """

    id: int
    event: str
    payload: dict[str, Any] = field(hash=False)
    created_at: datetime
    expires_at: datetime
    bot_name: str | None
    in_memory: bool = False

    @property
    def dispatch_name(self) -> str:
        """The event name handlers listen to, without the ``on_`` prefix."""
        return f"{self.event}_timer_complete"


Dispatch = Callable[[str, ScheduledTimer], object]
"""Receives ``f"{event}_timer_complete"`` and the timer; may return an awaitable."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _from_row(row: Timer) -> ScheduledTimer:
    return ScheduledTimer(
        id=row.id,
        event=row.event,
        payload=row.payload,
        created_at=row.created_at,
        expires_at=row.expires_at,
        bot_name=row.bot_name,
    )


def _check_event_name(event: object) -> None:
    if not isinstance(event, str) or EVENT_NAME_PATTERN.fullmatch(event) is None:
        raise InvalidTimerError(
            f"Timer event {event!r} is not a valid name: use 1 to 64 lowercase letters, digits "
            "and underscores, starting with a letter (for example 'reminder' or 'tempban')."
        )


def _check_bot_name(bot_name: str) -> None:
    if bot_name not in bot_names():
        raise InvalidTimerError(
            f"There is no bot named {bot_name!r}; expected one of {', '.join(bot_names())}."
        )


def _as_utc(when: datetime | timedelta, event: str, now: datetime) -> datetime:
    if isinstance(when, timedelta):
        return now + when
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidTimerError(
            f"Timer {event!r} got a naive datetime; pass a timezone-aware one, "
            "for example datetime.now(UTC) + timedelta(minutes=5)."
        )
    return when.astimezone(UTC)


def _json_copy(payload: object, event: str) -> dict[str, Any]:
    """The payload exactly as the database would hand it back, so every handler sees the same."""
    if not isinstance(payload, Mapping):
        raise InvalidTimerError(
            f"The payload of timer {event!r} must be a dict, not {type(payload).__name__}."
        )
    try:
        encoded = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidTimerError(
            f"The payload of timer {event!r} cannot be stored as JSON ({exc}); use only "
            "strings, numbers, booleans, None, lists and dicts, e.g. ids instead of objects."
        ) from exc
    copy: dict[str, Any] = json.loads(encoded)
    return copy


class Scheduler:
    """The timer service of one bot process: stores timers and fires the due ones.

    Construct it with the process's database and a dispatch callable (``bot.dispatch``), then
    :meth:`start` it once the bot is ready to handle events and :meth:`stop` it on shutdown.
    Timers can be scheduled before :meth:`start`; they are all stored in the database then.
    """

    def __init__(
        self,
        database: Database,
        dispatch: Dispatch,
        *,
        bot_name: str,
        memory_threshold: float = 60.0,
        max_sleep: float = 3600.0,
    ) -> None:
        _check_bot_name(bot_name)
        if memory_threshold < 0:
            raise ValueError("memory_threshold must be 0 (never keep timers in memory) or more.")
        if max_sleep <= 0:
            raise ValueError("max_sleep must be a positive number of seconds.")
        self.bot_name = bot_name
        self.memory_threshold = memory_threshold
        self.max_sleep = max_sleep
        self._database = database
        self._dispatch = dispatch
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        # None while the loop is busy (it will look at the table again before sleeping).
        self._sleeping_until: datetime | None = None
        self._memory_timers: dict[int, tuple[ScheduledTimer, asyncio.Task[None]]] = {}
        self._memory_ids = itertools.count(-1, -1)
        self._handler_tasks: set[asyncio.Future[Any]] = set()

    @classmethod
    def from_settings(cls, database: Database, dispatch: Dispatch, settings: Settings) -> Scheduler:
        """Build the scheduler of the bot ``settings`` were loaded for."""
        if settings.bot_name is None:
            raise ValueError("The scheduler belongs to one bot: load the settings with a bot name.")
        return cls(
            database,
            dispatch,
            bot_name=settings.bot_name,
            memory_threshold=settings.scheduler.memory_threshold,
            max_sleep=settings.scheduler.max_sleep,
        )

    @property
    def running(self) -> bool:
        """Whether the background task is dispatching timers (and not shutting down)."""
        return self._loop_task is not None and not self._stopping

    async def schedule(
        self,
        when: datetime | timedelta,
        event: str,
        payload: Mapping[str, Any] | None = None,
        *,
        target: str | Target = Target.THIS_BOT,
        durable: bool = False,
    ) -> ScheduledTimer:
        """Fire ``event`` at ``when``: an aware datetime (past fires at once) or a delay from now.

        ``target`` names the bot that fires it (``"mod"``), or is :attr:`Target.THIS_BOT` or
        :attr:`Target.ANY_BOT`. A ``durable`` timer is stored even when it is short, so it
        fires after a crash of this process too. Raises :class:`InvalidTimerError` for a bad
        event name, a naive time, an unknown bot or a payload that is not JSON.
        """
        _check_event_name(event)
        now = _utcnow()
        expires_at = _as_utc(when, event, now)
        stored_payload = _json_copy(payload if payload is not None else {}, event)
        bot_name = self._resolve_target(target)
        if not durable and self._keeps_in_memory(expires_at, bot_name, now):
            return self._schedule_in_memory(event, stored_payload, now, expires_at, bot_name)
        row = Timer(
            event=event,
            payload=stored_payload,
            created_at=now,
            expires_at=expires_at,
            bot_name=bot_name,
        )
        async with self._database.session() as session:
            session.add(row)
            await session.commit()
        timer = _from_row(row)
        if self._fires_here_soonest(timer):
            self._wakeup.set()
        logger.debug("Stored timer %d (%s) due %s", timer.id, event, expires_at.isoformat())
        return timer

    async def cancel(self, timer_id: int) -> bool:
        """Drop a pending timer; False if it already fired, was cancelled or never existed."""
        memory_entry = self._memory_timers.pop(timer_id, None)
        if memory_entry is not None:
            memory_entry[1].cancel()
            return True
        statement = delete(Timer).where(Timer.id == timer_id).returning(Timer.id)
        async with self._database.session() as session:
            removed = (await session.execute(statement)).first()
            await session.commit()
        return removed is not None

    async def start(self) -> None:
        """Start firing timers, overdue ones first.

        Call it once the handlers are loaded: a timer dispatched to no handler is gone.
        """
        if self._loop_task is not None:
            raise RuntimeError(f"The scheduler of {self.bot_name} is already running.")
        self._loop_task = asyncio.create_task(
            self._run(), name=f"botfleet-scheduler-{self.bot_name}"
        )
        logger.info("Timer scheduler of %s started", self.bot_name)

    async def stop(self) -> None:
        """Stop firing; keep pending in-memory timers in the table; wait for running handlers.

        The background task is asked to finish, never cancelled: cancelling it between the
        commit of a claim and the dispatch would lose the timers it had just claimed.
        """
        loop_task = self._loop_task
        if loop_task is None:
            return
        self._stopping = True
        self._wakeup.set()
        await asyncio.gather(loop_task, return_exceptions=True)
        self._loop_task = None
        self._stopping = False
        pending = list(self._memory_timers.values())
        self._memory_timers.clear()
        for _, task in pending:
            task.cancel()
        await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
        await self._store_memory_timers([timer for timer, _ in pending])
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)
        logger.info("Timer scheduler of %s stopped", self.bot_name)

    def _fires_here_soonest(self, timer: ScheduledTimer) -> bool:
        """Whether a stored timer is due before the loop planned to wake up (or it is awake)."""
        if not self.running or timer.bot_name not in (None, self.bot_name):
            return False
        return self._sleeping_until is None or timer.expires_at < self._sleeping_until

    def _resolve_target(self, target: str | Target) -> str | None:
        if target is Target.THIS_BOT:
            return self.bot_name
        if target is Target.ANY_BOT:
            return None
        _check_bot_name(target)
        return target

    def _keeps_in_memory(self, expires_at: datetime, bot_name: str | None, now: datetime) -> bool:
        if not self.running or self.memory_threshold <= 0:
            return False
        if bot_name not in (None, self.bot_name):
            return False
        return (expires_at - now).total_seconds() <= self.memory_threshold

    def _schedule_in_memory(
        self,
        event: str,
        payload: dict[str, Any],
        now: datetime,
        expires_at: datetime,
        bot_name: str | None,
    ) -> ScheduledTimer:
        timer = ScheduledTimer(
            id=next(self._memory_ids),
            event=event,
            payload=payload,
            created_at=now,
            expires_at=expires_at,
            bot_name=bot_name,
            in_memory=True,
        )
        delay = max(0.0, (expires_at - now).total_seconds())
        task = asyncio.create_task(self._fire_later(timer, delay), name=f"timer-{timer.id}")
        self._memory_timers[timer.id] = (timer, task)
        return timer

    async def _fire_later(self, timer: ScheduledTimer, delay: float) -> None:
        await asyncio.sleep(delay)
        del self._memory_timers[timer.id]
        self._fire(timer)

    async def _store_memory_timers(self, timers: list[ScheduledTimer]) -> None:
        if not timers:
            return
        rows = [
            Timer(
                event=timer.event,
                payload=timer.payload,
                created_at=timer.created_at,
                expires_at=timer.expires_at,
                bot_name=timer.bot_name,
            )
            for timer in timers
        ]
        try:
            async with self._database.session() as session:
                session.add_all(rows)
                await session.commit()
        except Exception:
            logger.exception(
                "Could not store %d in-memory timers of %s on shutdown; they are lost: %s",
                len(timers),
                self.bot_name,
                ", ".join(f"{timer.event} due {timer.expires_at.isoformat()}" for timer in timers),
            )
            return
        logger.info("Stored %d in-memory timers of %s for the next start", len(rows), self.bot_name)

    async def _run(self) -> None:
        """The background task: fire what is due, sleep until the next one or a wake-up."""
        failures = 0
        while not self._stopping:
            self._wakeup.clear()
            self._sleeping_until = None
            try:
                delay = await self._fire_due_timers()
                failures = 0
            except Exception:
                failures += 1
                delay = min(
                    self.max_sleep,
                    MAX_ERROR_RETRY_SECONDS,
                    ERROR_RETRY_SECONDS * 2 ** min(failures - 1, 6),
                )
                logger.exception(
                    "Timer scheduler of %s could not read the timers table (failure %d in a "
                    "row); retrying in %.1f s",
                    self.bot_name,
                    failures,
                    delay,
                )
            self._sleeping_until = _utcnow() + timedelta(seconds=delay)
            await wait_at_most(self._wakeup, delay)

    async def _fire_due_timers(self) -> float:
        """Claim and fire every due timer; return the seconds to sleep before the next one."""
        while True:
            claimed = await self._claim_due(_utcnow())
            for timer in claimed:
                self._fire(timer)
            if len(claimed) < CLAIM_BATCH_SIZE:
                break
        next_expiry = await self._next_expiry()
        if next_expiry is None:
            return self.max_sleep
        seconds = (next_expiry - _utcnow()).total_seconds()
        return min(self.max_sleep, max(MIN_SLEEP_SECONDS, seconds))

    def _fires_here(self) -> ColumnElement[bool]:
        return or_(Timer.bot_name.is_(None), Timer.bot_name == self.bot_name)

    async def _claim_due(self, now: datetime) -> list[ScheduledTimer]:
        """Delete and return the soonest due timers; rows another process holds are skipped."""
        due = (
            select(Timer.id)
            .where(Timer.expires_at <= now, self._fires_here())
            .order_by(Timer.expires_at, Timer.id)
            .limit(CLAIM_BATCH_SIZE)
            .with_for_update(skip_locked=True)
        )
        statement = (
            delete(Timer)
            .where(Timer.id.in_(due))
            .returning(Timer)
            .execution_options(synchronize_session=False)
        )
        async with self._database.session() as session:
            rows = (await session.scalars(statement)).all()
            await session.commit()
        timers = [_from_row(row) for row in rows]
        timers.sort(key=lambda timer: (timer.expires_at, timer.id))
        return timers

    async def _next_expiry(self) -> datetime | None:
        statement = (
            select(Timer.expires_at).where(self._fires_here()).order_by(Timer.expires_at).limit(1)
        )
        async with self._database.session() as session:
            return (await session.scalars(statement)).first()

    def _fire(self, timer: ScheduledTimer) -> None:
        """Hand a claimed timer to the dispatcher; a failing handler is logged, never raised."""
        late = (_utcnow() - timer.expires_at).total_seconds()
        if late > LATE_LOG_SECONDS:
            logger.info("Timer %d (%s) fires %.1f s late", timer.id, timer.event, late)
        try:
            outcome = self._dispatch(timer.dispatch_name, timer)
        except Exception:
            logger.exception("Handler of timer %d (%s) failed", timer.id, timer.event)
            return
        if inspect.isawaitable(outcome):
            handler = asyncio.ensure_future(outcome)
            self._handler_tasks.add(handler)
            handler.add_done_callback(functools.partial(self._handler_finished, timer))

    def _handler_finished(self, timer: ScheduledTimer, handler: asyncio.Future[Any]) -> None:
        self._handler_tasks.discard(handler)
        if handler.cancelled():
            return
        error = handler.exception()
        if error is not None:
            logger.error("Handler of timer %d (%s) failed", timer.id, timer.event, exc_info=error)
