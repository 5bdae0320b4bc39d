"""Stopping a background task: it has really ended, its own failure is not hidden; data
preloaded in the background once a bot is ready."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from botfleet.utils import memory, tasks
from botfleet.utils.tasks import Preload, cancel_and_wait


async def test_the_task_has_run_its_cleanup_when_cancel_and_wait_returns() -> None:
    started = asyncio.Event()
    cleaned_up: list[str] = []

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # a cleanup that itself awaits, like closing a connection
            cleaned_up.append("closed")

    task = asyncio.create_task(work())
    await started.wait()
    await cancel_and_wait(task)
    assert task.cancelled()
    assert cleaned_up == ["closed"]


async def test_an_error_the_task_failed_with_is_raised() -> None:
    async def work() -> None:
        raise LookupError("the task's own failure")

    task = asyncio.create_task(work())
    await asyncio.wait([task])
    with pytest.raises(LookupError, match="own failure"):
        await cancel_and_wait(task)


async def test_no_task_is_nothing_to_stop() -> None:
    await cancel_and_wait(None)


async def test_preloading_waits_for_readiness_then_loads_once() -> None:
    ready = asyncio.Event()
    loads: list[str] = []

    def load() -> str:
        loads.append(threading.current_thread().name)
        return "words"

    preload = Preload(load, after=ready.wait)
    preload.start()
    await asyncio.sleep(0.05)
    assert loads == []  # the login is not slowed by the load
    ready.set()
    assert await preload.get() == "words"
    assert await preload.get() == "words"
    assert len(loads) == 1
    assert loads[0] != threading.current_thread().name  # read in a thread, not on the loop


async def test_what_a_load_dropped_goes_back_to_the_system_in_its_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bot trimmed its heap at ready, before the load: the load's garbage is trimmed after
    it, in the load's thread (``malloc_trim`` walks the heap), before the data is handed out."""
    steps: list[tuple[str, str]] = []

    def load() -> str:
        steps.append(("load", threading.current_thread().name))
        return "words"

    def trim(pad: int) -> int:
        assert pad == 0
        steps.append(("trim", threading.current_thread().name))
        return 1

    monkeypatch.setattr(memory, "malloc_trim", lambda: trim)
    assert await Preload(load).get() == "words"
    assert [step for step, _ in steps] == ["load", "trim"]
    assert steps[0][1] == steps[1][1] != threading.current_thread().name


async def test_a_load_where_the_c_library_cannot_trim_still_gives_its_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memory, "malloc_trim", lambda: None)  # musl, macOS
    assert await Preload(lambda: "words").get() == "words"


async def test_a_command_before_readiness_loads_at_once() -> None:
    preload = Preload(lambda: "words", after=asyncio.Event().wait)
    preload.start()
    async with asyncio.timeout(5):
        assert await preload.get() == "words"
    await preload.close()


async def test_callers_at_once_share_one_load() -> None:
    loads: list[int] = []
    release = threading.Event()

    def load() -> int:
        release.wait(5)
        loads.append(1)
        return len(loads)

    preload = Preload(load)
    waiting = [asyncio.create_task(preload.get()) for _ in range(3)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiting) == [1, 1, 1]


async def test_a_failed_load_is_raised_to_the_command_that_needs_it() -> None:
    def load() -> str:
        raise OSError("the file is gone")

    preload = Preload(load)
    with pytest.raises(OSError, match="gone"):
        await preload.get()


async def test_closing_stops_a_load_that_still_waits() -> None:
    loads: list[str] = []
    preload = Preload(lambda: loads.append("read"), after=asyncio.Event().wait)
    preload.start()
    await preload.close()
    await asyncio.sleep(0.01)
    assert loads == []


def test_data_at_hand_needs_no_loop() -> None:
    preload = Preload.loaded("words")
    assert asyncio.run(preload.get()) == "words"


async def test_closing_lets_a_load_already_reading_finish() -> None:
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def load() -> str:
        started.set()
        release.wait(5)
        finished.append("read")
        return "words"

    preload = Preload(load)
    preload.start()
    await asyncio.to_thread(started.wait, 5)
    closing = asyncio.create_task(preload.close())
    await asyncio.sleep(0.05)
    assert not closing.done(), "the thread still reads"
    release.set()
    await closing
    assert finished == ["read"]


async def looping_on(wait: Callable[[asyncio.Event], Awaitable[object]]) -> str:
    """A task looping on ``wait`` is cancelled as the event it waits for is set: it must end.

    The event set, its waiter wakes; the cancel then arrives before the loop's own wait resumes
    (on Python 3.11, ``asyncio.wait_for`` returned the result there and dropped the cancel)."""
    event = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while rounds < 3:
            await wait(event)
            event.clear()
            rounds += 1

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.01)
    event.set()
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task], timeout=1)
    return "cancelled" if task.cancelled() else f"ran on ({rounds} more rounds)"


async def test_a_loop_waiting_at_most_a_while_ends_when_cancelled_as_its_event_comes() -> None:
    assert await looping_on(lambda event: tasks.wait_at_most(event, 10)) == "cancelled"


async def test_wait_at_most_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await tasks.wait_at_most(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await tasks.wait_at_most(event, 5) is True
    assert await tasks.wait_at_most(event, 0) is True  # set already: no wait at all


async def test_a_caller_cancelled_while_it_stops_a_task_is_cancelled_too() -> None:
    """The stopped task's cancellation is swallowed; the caller's own is not."""
    stopping = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopping.set()
            await asyncio.sleep(10)  # its cleanup takes long: the caller is cancelled meanwhile

    worker = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    caller = asyncio.create_task(cancel_and_wait(worker))
    await stopping.wait()
    caller.cancel()
    await asyncio.wait([caller], timeout=1)
    assert caller.cancelled()


async def test_no_source_waits_with_wait_for() -> None:
    """``asyncio.wait_for`` may drop a cancellation on Python 3.11 (see above): src uses
    ``asyncio.timeout`` or :func:`tasks.wait_at_most`."""
    source = Path(tasks.__file__).parents[1]
    users = [
        f"{path.relative_to(source)}:{number}"
        for path in sorted(source.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "asyncio.wait_for(" in line and not line.lstrip().startswith(("#", '"', "`"))
    ]
    assert users == []


async def test_a_caller_cancelled_before_still_stops_its_tasks_in_its_cleanup() -> None:
    """A bot cancelled, closing in a ``finally``: each task it stops there is waited for and
    the cleanup goes on to its end (then the cancellation goes on)."""
    workers = [asyncio.create_task(asyncio.Event().wait()) for _ in range(2)]
    steps: list[str] = []

    async def owner() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for number, worker in enumerate(workers):
                await cancel_and_wait(worker)
                steps.append(f"worker {number} stopped")

    task = asyncio.create_task(owner())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task], timeout=1)
    assert task.cancelled()
    assert steps == ["worker 0 stopped", "worker 1 stopped"]
    assert all(worker.cancelled() for worker in workers)


async def test_a_cancel_the_stopped_task_swallowed_still_cancels_the_caller() -> None:
    stopping, release = asyncio.Event(), asyncio.Event()

    async def stubborn() -> str:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:  # swallows every cancel, the caller's too
                stopping.set()
        return "ended anyway"

    worker = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    caller = asyncio.create_task(cancel_and_wait(worker))
    await stopping.wait()
    caller.cancel()  # reaches the worker, which swallows it
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait([caller], timeout=1)
    assert worker.result() == "ended anyway"
    assert caller.cancelled()


async def test_finish_within_gives_the_result_or_cancels_the_work_past_its_time() -> None:
    assert await tasks.finish_within(asyncio.sleep(0, "done"), 1) == "done"
    cleaned_up: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned_up.append("closed")

    with pytest.raises(TimeoutError):
        await tasks.finish_within(slow(), 0.05)
    assert cleaned_up == ["closed"]


async def test_a_step_past_its_time_is_a_timeout_even_in_a_cancelled_caller() -> None:
    """FleetBot.close runs its steps so: one that hangs is logged and the next still runs,
    when the close itself runs in a cancelled task's ``finally``."""
    outcomes: list[str] = []

    async def closing() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for step in (asyncio.Event().wait, lambda: asyncio.sleep(0)):
                try:
                    await tasks.finish_within(step(), 0.05)
                    outcomes.append("ended")
                except TimeoutError:
                    outcomes.append("timed out")

    task = asyncio.create_task(closing())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task], timeout=2)
    assert outcomes == ["timed out", "ended"]
    assert task.cancelled()
