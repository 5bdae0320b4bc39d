"""Background tasks: cancelling one and waiting until it has really ended."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and return once it has ended; nothing to do for None.

    Waiting matters: the task's ``finally`` blocks (a connection closed, a session ended) run
    before the caller goes on. Its cancellation is expected and swallowed; an error it had
    already failed with is not.
    """
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
