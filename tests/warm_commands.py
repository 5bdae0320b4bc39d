"""The SQL a bot sends to answer a command once its caches are warm (issue 17: a command's
p99 under 5 ms leaves no room for a database round trip), counted end to end over the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytest
from sqlalchemy import event

from botfleet.core.bot import FleetCommandTree
from botfleet.database import Database
from botfleet.sandbox import Application, InteractionResponse, SandboxChannel, SandboxMember

ANSWERING: ContextVar[bool] = ContextVar("answering_a_command", default=False)
"""Set in the task of a slash command the bot answers, and so in every task it starts."""


@contextmanager
def statements_answering(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """The SQL statements ``database`` sends inside the block to answer slash commands: those
    of a command's task and of the tasks it starts (a cache's read), not the bot's background
    work (timers, heartbeat, the XP save)."""
    sent: list[str] = []

    def note(*arguments: Any) -> None:
        if ANSWERING.get():
            sent.append(arguments[2])  # (connection, cursor, statement, ...)

    checked = FleetCommandTree.interaction_check

    async def marking(tree: FleetCommandTree, interaction: Any, /) -> bool:
        # The check runs first, in the command's task; never reset, so a long-lived task the
        # command starts inherits the mark: the count can only grow (a false failure, never
        # a query missed).
        ANSWERING.set(True)
        return await checked(tree, interaction)

    monkeypatch.setattr(FleetCommandTree, "interaction_check", marking)
    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
        monkeypatch.setattr(FleetCommandTree, "interaction_check", checked)


async def answer(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    command: str,
    subcommand: str | None = None,
    options: dict[str, Any] | None = None,
) -> InteractionResponse:
    """Run a slash command and wait for the bot's first answer."""
    handle = await member.run_command(channel, app, command, options or {}, subcommand=subcommand)
    return await handle.wait_for_response()
