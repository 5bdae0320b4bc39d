"""Message hooks: work each message needs at once, run without a task of its own."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, cast

import discord
import pytest

from botfleet.core import message_hooks
from botfleet.core.message_hooks import MessageHooks


def message(message_id: int = 7) -> discord.Message:
    return cast(discord.Message, SimpleNamespace(id=message_id))


async def test_a_failing_hook_is_logged_and_counted_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[str] = []
    heard: list[int] = []
    hooks = MessageHooks("hangman", failures.append)

    def broken(_: discord.Message) -> None:
        raise RuntimeError("a bug")

    def hear(received: discord.Message) -> None:
        heard.append(received.id)

    hooks.add(broken)
    hooks.add(hear)
    with caplog.at_level(logging.ERROR, logger="botfleet.core.message_hooks"):
        hooks.run(message(42))
    assert heard == [42]
    assert failures == [f"message hook {broken.__qualname__}"]
    [record] = caplog.records
    assert "failed on message 42" in record.getMessage()
    assert record.exc_info is not None


async def test_the_work_a_hook_leaves_runs_as_a_task_and_its_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[str] = []
    hooks = MessageHooks("hangman", failures.append)
    finished = asyncio.Event()

    async def later(fails: bool) -> None:
        await asyncio.sleep(0)
        if fails:
            raise RuntimeError("the database is away")
        finished.set()

    def leaves_work(received: discord.Message) -> Any:
        return later(fails=received.id == 2)

    hooks.add(leaves_work)
    with caplog.at_level(logging.ERROR, logger="botfleet.core.message_hooks"):
        hooks.run(message(1))
        hooks.run(message(2))
        assert not finished.is_set(), "the hook's work does not hold up the message"
        await asyncio.wait_for(finished.wait(), 1)
        for _ in range(3):
            await asyncio.sleep(0)
    assert len(failures) == 1
    assert "failed on message 2" in caplog.records[0].getMessage()


async def test_a_hook_removed_is_no_longer_called_and_removing_twice_does_nothing() -> None:
    heard: list[int] = []
    hooks = MessageHooks("hangman", lambda _: None)

    def hear(received: discord.Message) -> None:
        heard.append(received.id)

    hooks.add(hear)
    hooks.remove(hear)
    hooks.remove(hear)
    hooks.run(message())
    assert heard == []


async def test_closing_lets_quick_work_finish_and_cancels_the_rest(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_hooks, "DRAIN_SECONDS", 0.2)
    finished: list[str] = []
    hooks = MessageHooks("hangman", lambda _: None)

    async def quick() -> None:
        await asyncio.sleep(0.05)
        finished.append("quick")

    async def stuck() -> None:
        await asyncio.sleep(3600)
        finished.append("stuck")

    hooks.add(lambda _: quick())
    hooks.add(lambda _: stuck())
    hooks.run(message())
    with caplog.at_level(logging.WARNING, logger="botfleet.core.message_hooks"):
        await asyncio.wait_for(hooks.close(), timeout=2)
    assert finished == ["quick"]
    assert "1 message hook tasks still running at shutdown were cancelled" in caplog.text
    await hooks.close()  # nothing left: returns at once
