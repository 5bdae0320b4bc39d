"""The XP write-behind buffer: awards wait in memory and are saved in batches, in the background.

**Write-behind.** A background task saves the buffer every ``flush_interval`` seconds, or at
once when ``flush_batch_size`` awards wait, in batches of whole members, each batch one
transaction (:mod:`botfleet.gamification.store`). A batch that fails stays queued, under the same
id, and is retried first; since its id is recorded in the transaction, a retry after a commit
whose acknowledgement was lost does nothing. New awards are refused (with one error log) beyond
``max_pending_awards``, so a long database outage cannot exhaust memory; a game's results are
never refused (:meth:`XPWriteBehind.keep`): they are saved at once or kept beyond that limit,
which grows only as fast as members finish games.

**What a crash loses.** A graceful :meth:`XPWriteBehind.stop` saves everything. A crash
(SIGKILL, power loss) loses the awards not saved yet: those of the last ``flush_interval`` (2 s
by default) plus the save in progress, measured at 2.9 s (SQLite) to 3.7 s (PostgreSQL) of
awards at half the pipeline's capacity in ``benchmarks/xp_pipeline.py``; and any batches waiting
for an unreachable database. Every batch is saved whole or not at all; nothing saved is lost or
counted twice. Events are dispatched after their commit: a crash between the two loses the
announcement, never the XP or level.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError

from botfleet.gamification.events import (
    ACHIEVEMENT_EVENT,
    LEVEL_UP_EVENT,
    AchievementUnlocked,
    Dispatch,
    FlushReport,
    LevelUp,
    XPAward,
    XPSource,
)
from botfleet.gamification.options import GamificationOptions
from botfleet.gamification.redis_rankings import RedisRankings
from botfleet.gamification.store import XPStore
from botfleet.utils.tasks import wait_at_most

log = logging.getLogger(__name__)

RETRY_BACKOFF_LIMIT: Final = 16
"""Longest wait between retries of a failing save, in flush intervals."""
PRUNE_INTERVAL_SECONDS: Final = 3600.0
FOLD_INTERVAL_SECONDS: Final = 30.0
"""How often the rank bucket counts changed meanwhile are folded (they only grow until then)."""

LevelUpFilter = Callable[[LevelUp], bool]
"""Picks the level-ups a caller of ``check_level_up`` announces itself."""


def _nothing(_: LevelUp) -> bool:
    return False


class XPWriteBehind:
    """Buffers XP awards, saves them in batches with retries, and fires what each save caused."""

    def __init__(
        self,
        store: XPStore,
        options: GamificationOptions,
        *,
        rankings: RedisRankings | None = None,
        dispatch: Dispatch | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.rankings = rankings
        self._dispatch = dispatch
        self._buffer: dict[int, list[XPAward]] = {}
        self._buffered = 0
        self.awards_by_source: Counter[XPSource] = Counter()
        """XP events this process took, by source, for its metrics."""
        self._retry: deque[tuple[str, list[XPAward]]] = deque()
        self._flush_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stop_requested = asyncio.Event()
        self._refusing = False
        self._next_prune = time.monotonic()
        self._next_fold = time.monotonic()
        self._handler_tasks: set[asyncio.Future[Any]] = set()

    @property
    def pending_awards(self) -> int:
        """Awards not saved yet: buffered, or in batches waiting for a retry."""
        if not self._retry:  # the hot path's case: each award asks
            return self._buffered
        return self._buffered + sum(len(awards) for _, awards in self._retry)

    def full(self) -> bool:
        """Whether new awards are refused: too many wait to be saved (logged once)."""
        if self.pending_awards >= self.options.max_pending_awards:
            if not self._refusing:
                log.error(
                    "%d XP awards are waiting to be saved (the database is failing?); new awards "
                    "are dropped until they are saved",
                    self.pending_awards,
                )
                self._refusing = True
            return True
        self._refusing = False
        return False

    def add(self, award: XPAward) -> XPAward | None:
        """Queue one award for the next save; None when it is refused (see :meth:`full`)."""
        if self.full():
            return None
        self._buffer.setdefault(award.user_id, []).append(award)
        self._buffered += 1
        self.awards_by_source[award.source] += 1
        if self._buffered >= self.options.flush_batch_size:
            self._wakeup.set()
        return award

    def keep(self, awards: list[XPAward]) -> None:
        """Queue awards that must not be refused (a game's results), beyond
        ``max_pending_awards`` when need be (logged); the caller counts them by source."""
        for award in awards:
            self._buffer.setdefault(award.user_id, []).append(award)
        self._buffered += len(awards)
        if self._buffered >= self.options.flush_batch_size:
            self._wakeup.set()
        if self.pending_awards > self.options.max_pending_awards:
            log.warning(
                "%d XP award(s) of a game kept beyond the limit of %d waiting awards (%d wait)",
                len(awards),
                self.options.max_pending_awards,
                self.pending_awards,
            )

    async def save_now(
        self,
        user_ids: Collection[int],
        awards: list[XPAward],
        guild_id: int | None,
        *,
        hand_over: bool = True,
    ) -> list[LevelUp]:
        """Save the members' buffered XP and ``awards`` in one batch, ahead of the buffer, and
        return the level-ups in ``guild_id`` (all of them without it) instead of dispatching them
        (without ``hand_over``, every level-up goes to the listeners and none is returned).

        Nothing is returned when the database is failing: the awards then wait in the buffer
        (:meth:`keep`: never refused) or the retry queue, and are saved later.
        """
        belongs = self._belongs_to_caller(guild_id) if hand_over else _nothing
        async with self._flush_lock:
            try:
                await self._save_retries()
            except Exception:
                log.warning("XP of %d member(s) waits: earlier XP is not saved yet", len(user_ids))
                self.keep(awards)
                return []
            batch = [award for user_id in user_ids for award in self._buffer.pop(user_id, [])]
            self._buffered -= len(batch)
            batch.extend(awards)
            if not batch:
                return []
            report = await self._save_batch(batch, hold=belongs)
        return [] if report is None else [event for event in report.level_ups if belongs(event)]

    @staticmethod
    def _belongs_to_caller(guild_id: int | None) -> LevelUpFilter:
        def belongs(event: LevelUp) -> bool:
            return guild_id is None or event.guild_id == guild_id

        return belongs

    @contextlib.asynccontextmanager
    async def member_saved(self, user_id: int) -> AsyncIterator[None]:
        """Save a member's buffered XP (raising if the database fails) and hold off every other
        save until the block ends, so a change made in it lands after that XP, not under it."""
        async with self._flush_lock:
            await self._save_retries()
            awards = self._buffer.pop(user_id, [])
            self._buffered -= len(awards)
            if awards:
                await self._save_batch(awards, hold=None, raise_errors=True)
            yield

    async def flush(self) -> list[FlushReport]:
        """Save the members buffered now; raise if the database fails (nothing is lost then).

        Members whose first award comes meanwhile wait for the next save: under a steady load
        that outpaces the saves (SQLite on a busy loop), a flush that took them too never
        ended, kept every batch's report (in the soak, 39 reports holding 40,592 leaderboard
        updates, and growing) and held off the saves of games, the pruning and the folding of
        rank counts.
        """
        async with self._flush_lock:
            reports = await self._save_retries()
            members_due = len(self._buffer)
            while members_due > 0 and self._buffer:
                awards, members = self._take_batch(members_due)
                members_due -= members
                report = await self._save_batch(awards, hold=None, raise_errors=True)
                if report is not None:
                    reports.append(report)
            return reports

    def _take_batch(self, most_members: int) -> tuple[list[XPAward], int]:
        """Whole members' awards, oldest members first, up to about ``flush_batch_size`` and
        ``most_members`` members; the awards and how many members they are."""
        batch: list[XPAward] = []
        members = 0
        while (
            self._buffer and members < most_members and len(batch) < self.options.flush_batch_size
        ):
            user_id = next(iter(self._buffer))
            batch.extend(self._buffer.pop(user_id))
            members += 1
        self._buffered -= len(batch)
        return batch, members

    async def _save_retries(self) -> list[FlushReport]:
        reports = []
        while self._retry:
            batch_id, awards = self._retry[0]
            report = await self.store.save(batch_id, awards)
            self._retry.popleft()
            reports.append(report)
            await self.after_save(report)
        return reports

    async def _save_batch(
        self, awards: list[XPAward], *, hold: LevelUpFilter | None, raise_errors: bool = False
    ) -> FlushReport | None:
        """Save one batch; on failure it joins the retry queue under the same id."""
        batch_id = self.store.new_batch_id()
        self._retry.append((batch_id, awards))
        try:
            report = await self.store.save(batch_id, awards)
        except Exception:
            if raise_errors:
                raise
            log.exception("Saving %d XP awards failed; they will be retried", len(awards))
            return None
        self._retry.pop()
        await self.after_save(report, hold=hold)
        return report

    async def after_save(self, report: FlushReport, *, hold: LevelUpFilter | None = None) -> None:
        """Dispatch what a committed batch caused (but the level-ups ``hold`` keeps for the
        caller) and mirror its values into Redis."""
        for level_up in report.level_ups:
            if hold is None or not hold(level_up):
                self._fire(LEVEL_UP_EVENT, level_up)
        for unlock in report.unlocks:
            self._fire(ACHIEVEMENT_EVENT, unlock)
        if self.rankings is not None and report.rankings:
            await self.rankings.publish(report.rankings)

    def _fire(self, name: str, event: LevelUp | AchievementUnlocked) -> None:
        if self._dispatch is None:
            return
        try:
            outcome = self._dispatch(name, event)
        except Exception:
            log.exception("Handler of %s failed for %r", name, event)
            return
        if inspect.isawaitable(outcome):
            handler = asyncio.ensure_future(outcome)
            self._handler_tasks.add(handler)
            handler.add_done_callback(functools.partial(self._handler_finished, name))

    def _handler_finished(self, name: str, handler: asyncio.Future[Any]) -> None:
        self._handler_tasks.discard(handler)
        if not handler.cancelled() and handler.exception() is not None:
            log.error("Handler of %s failed", name, exc_info=handler.exception())

    async def start(self) -> None:
        """Start saving the buffer in the background."""
        if self._loop_task is not None:
            raise RuntimeError("The XP system is already running.")
        self._stop_requested.clear()
        self._loop_task = asyncio.create_task(self._run(), name="botfleet-xp-flusher")

    async def stop(self) -> None:
        """Stop the background task and save everything still buffered."""
        loop_task = self._loop_task
        if loop_task is not None:
            self._stop_requested.set()
            self._wakeup.set()  # it may be waiting for the next save, up to ``flush_interval``
            await asyncio.gather(loop_task, return_exceptions=True)
            self._loop_task = None
        try:
            await self.flush()
            while self._buffer:  # awards that came while it saved: a stopping bot still hears
                await self.flush()
        except Exception:
            members = len(self._buffer) + len({a.user_id for _, b in self._retry for a in b})
            log.exception(
                "Could not save %d XP awards of about %d members on shutdown: they are lost",
                self.pending_awards,
                members,
            )
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)

    async def _run(self) -> None:
        """Save every ``flush_interval``, or at once when a batch is full; back off on failures."""
        failures = 0
        last_start = time.monotonic()
        while not self._stop_requested.is_set():
            # Saves start every interval (not an interval after the last one ended), so an
            # award waits at most one interval plus one save; a full buffer starts one at once,
            # except while the database is failing.
            if failures:
                delay = self.options.flush_interval * min(RETRY_BACKOFF_LIMIT, 2**failures)
                wake_on = self._stop_requested
            else:
                delay = max(0.0, last_start + self.options.flush_interval - time.monotonic())
                wake_on = self._wakeup
            await wait_at_most(wake_on, delay)
            self._wakeup.clear()
            if self._stop_requested.is_set():
                return
            last_start = time.monotonic()
            try:
                await self.flush()
                await self._prune_now_and_then()
                await self._fold_now_and_then()
                failures = 0
            except Exception:
                failures += 1
                log.warning(
                    "Saving XP failed (%d in a row); %d awards wait, next try in %.0f s",
                    failures,
                    self.pending_awards,
                    self.options.flush_interval * min(RETRY_BACKOFF_LIMIT, 2**failures),
                    exc_info=failures == 1,
                )

    async def _fold_now_and_then(self) -> None:
        if time.monotonic() < self._next_fold:
            return
        self._next_fold = time.monotonic() + FOLD_INTERVAL_SECONDS
        try:
            await self.store.fold_rank_buckets()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("Folding rank bucket counts failed (they stay exact): %r", exc)

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        removed = await self.store.prune(datetime.now(UTC))
        if removed:
            log.info("Pruned %d expired leaderboard rows and saved-batch ids", removed)

    async def forget_user(self, user_id: int) -> int:
        """Drop a member's unsaved awards (buffered or to retry); how many were buffered."""
        async with self._flush_lock:
            dropped = self._buffer.pop(user_id, [])
            self._buffered -= len(dropped)
            for index, (batch_id, awards) in enumerate(self._retry):
                self._retry[index] = (batch_id, [a for a in awards if a.user_id != user_id])
        return len(dropped)
