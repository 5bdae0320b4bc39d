"""Running the Utility Bot in the stand-in and asking it things, for the end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select

from botfleet.bots.utility.config import UtilityOptions
from botfleet.bots.utility.services.alarms import AlarmedService
from botfleet.bots.utility.services.timezones import TimezoneStore
from botfleet.database import Database
from botfleet.database.models.timer import Timer
from botfleet.sandbox import (
    Application,
    InteractionResponse,
    SandboxChannel,
    SandboxMember,
)
from botfleet.services.scheduler import ScheduledTimer, Scheduler


async def answer(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    command: str,
    options: dict[str, Any] | None = None,
    *,
    subcommand: str | None = None,
) -> InteractionResponse:
    """Run a slash command and wait for the bot's answer."""
    handle = await member.run_command(channel, app, command, options or {}, subcommand=subcommand)
    return await handle.wait_for_response()


NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
"""A Wednesday, 18:00 in Paris: the service tests' "now"."""

ServiceT = TypeVar("ServiceT", bound=AlarmedService)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def never_fires(name: str, timer: ScheduledTimer) -> None:
    raise AssertionError(f"no timer fires in these tests, got {name}")


def alarmed_service(
    kind: type[ServiceT], database: Database, clock: Clock, **options: Any
) -> ServiceT:
    """A reminder or poll service on ``database`` whose scheduler stores timers but never runs."""
    scheduler = Scheduler(database, never_fires, bot_name="utility", memory_threshold=0)
    return kind(
        database, scheduler, TimezoneStore(database), UtilityOptions(**options), clock=clock
    )


async def stored_timers(database: Database) -> list[Timer]:
    async with database.session() as session:
        return list((await session.scalars(select(Timer).order_by(Timer.id))).all())
