"""Background tasks: cancelling one and waiting until it has really ended; bounded waits;
data preloaded.

Every wait here keeps the caller's own cancellation. On Python 3.11 ``asyncio.wait_for`` loses
a cancellation that arrives as the awaited thing completes, and ``suppress(CancelledError)``
around awaiting a cancelled task swallows the caller's: a loop built on either runs on after
its task was cancelled, and whoever waits for that task (a closing event loop) waits forever.
That hung CI's test run (stop 26); ``tests/utils/test_tasks.py`` shows both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from botfleet.utils.memory import give_back_freed_heap

T = TypeVar("T")

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and return once it has ended; nothing to do for None.

    Waiting matters: the task's ``finally`` blocks (a connection closed, a session ended) run
    before the caller goes on. Its cancellation is expected and swallowed; an error it had
    already failed with is not.
    """
    if task is None:
        return
    task.cancel()
    await wait_ended(task)


async def wait_ended(task: asyncio.Future[Any]) -> None:
    """Wait for ``task``, cancelled already, to end: its cancellation is swallowed; a cancel
    that reached the caller meanwhile is not, even one the task swallowed. A caller cancelled
    before (stopping its tasks in a ``finally``) still waits for them."""
    cancels = _cancels_so_far()
    try:
        await task
    except asyncio.CancelledError:
        if _cancels_so_far() > cancels:
            raise
        return
    if _cancels_so_far() > cancels:
        raise asyncio.CancelledError


async def wait_at_most(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set, at most ``seconds``; whether it was set."""
    try:
        async with asyncio.timeout(max(seconds, 0.0)):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True


async def finish_within(work: Awaitable[T], seconds: float) -> T:
    """``work``'s result, run in a task of its own, cancelled (and waited for) past ``seconds``
    with TimeoutError raised, or when the caller is cancelled.

    Its own task: how it runs and times out does not depend on a caller already being
    cancelled (a bot shutting down in a ``finally``), where ``asyncio.timeout`` of Python
    3.11.0-3.11.2 raises CancelledError in place of TimeoutError.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        await cancel_and_wait(task)
        raise
    if not done:
        await cancel_and_wait(task)
        raise TimeoutError
    return task.result()


def _cancels_so_far() -> int:
    """How many cancels the running task was asked for (and has not taken back)."""
    task = asyncio.current_task()
    return 0 if task is None else task.cancelling()


class Preload(Generic[T]):
    """Data only some commands need (a word bank), read in a thread once the bot is ready.

    Readiness never waits for it, and the thread starts only after ``after`` (the bot's
    ``wait_until_ready``), so it does not take the CPU from the login. A command that needs the
    data first awaits the load in progress, or starts it at once if it still waits for ``after``.
    What the load built and dropped (a whole file decoded, its lines parsed) is given back to
    the system in the same thread once it returns (glibc's ``malloc_trim``): the bot trimmed its
    heap when it became ready, before this load began (1.2 MB of an idle Spelling Bee).
    """

    def __init__(
        self, load: Callable[[], T], *, after: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        self._load = load
        self._after = after
        self._task: asyncio.Task[T] | None = None
        self._waiting = False
        """Whether the background load still waits for ``after``."""
        self._done = False
        self._value: T

    @classmethod
    def loaded(cls, value: T) -> Preload[T]:
        """Data already at hand: ``get`` returns it without a thread."""
        preload = cls(lambda: value)
        preload._value, preload._done = value, True
        return preload

    def start(self) -> None:
        """Begin loading in the background, after ``after``; nothing if begun already."""
        if self._task is None and not self._done:
            self._waiting = True
            self._task = asyncio.create_task(self._run(wait=True))
            self._task.add_done_callback(_log_failure)

    async def get(self) -> T:
        """The data, loaded now if the background load has not begun."""
        if self._done:
            return self._value
        if self._task is None or self._waiting:
            if self._task is not None:
                self._task.cancel()
            self._waiting = False
            self._task = asyncio.create_task(self._run(wait=False))
            self._task.add_done_callback(_log_failure)
        self._value = await asyncio.shield(self._task)
        self._done = True
        return self._value

    async def close(self) -> None:
        """Stop waiting to load, or let a load already reading finish: its thread cannot be
        stopped, and would otherwise take the CPU from whatever starts next (a new login)."""
        if self._task is None or self._waiting:
            await cancel_and_wait(self._task)
            return
        with contextlib.suppress(Exception):  # a failed load: _log_failure logged it
            await wait_ended(asyncio.shield(self._task))

    async def _run(self, *, wait: bool) -> T:
        if wait and self._after is not None:
            await self._after()
        self._waiting = False
        return await asyncio.to_thread(self._load_and_trim)

    def _load_and_trim(self) -> T:
        value = self._load()
        give_back_freed_heap()
        return value


def _log_failure(task: asyncio.Task[Any]) -> None:
    """A failed load is logged here, once, whoever began it; each ``get`` raises it again,
    for the caller to answer without logging it anew."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("loading data failed", exc_info=error)
