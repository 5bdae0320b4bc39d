"""Stopping a background task: it has really ended, its own failure is not hidden."""

from __future__ import annotations

import asyncio

import pytest

from botfleet.utils.tasks import cancel_and_wait


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
