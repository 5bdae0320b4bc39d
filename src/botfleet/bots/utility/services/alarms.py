"""What reminders and polls share: rows the scheduler wakes, read in the member's time zone.

The row is the truth and the scheduler's timer only the alarm clock. Each row keeps the id of
its timer, so at start the rows whose timer was lost (a crash after a claim, a process that died
holding it in memory) are found and given a new one. A spare alarm is harmless, since the row's
own compare-and-swap claim lets one delivery through; a missing one would lose the row's event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from botfleet.bots.utility.config import UtilityOptions
from botfleet.bots.utility.services.timezones import TimezoneStore
from botfleet.database.base import Database
from botfleet.database.models.timer import Timer
from botfleet.services.scheduler import Scheduler


def utcnow() -> datetime:
    return datetime.now(UTC)


class AlarmedService:
    """Base of a service whose rows (a ``model`` with ``id``, ``timer_id`` and ``message_id``)
    the scheduler wakes."""

    model: Any
    """The table: it has ``id``, ``timer_id`` and ``message_id`` columns."""

    def __init__(
        self,
        database: Database,
        scheduler: Scheduler,
        timezones: TimezoneStore,
        options: UtilityOptions,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.scheduler = scheduler
        self.timezones = timezones
        self.options = options
        self._clock = clock

    async def _ring(
        self,
        row_id: int,
        when: datetime,
        event: str,
        payload: Mapping[str, Any],
        *still_pending: ColumnElement[bool],
    ) -> None:
        """Schedule the row's alarm and keep its id, unless the row changed meanwhile."""
        timer = await self.scheduler.schedule(when, event, payload)
        async with self.database.session() as session:
            await session.execute(
                update(self.model)
                .where(self.model.id == row_id, *still_pending)
                .values(timer_id=timer.id)
            )
            await session.commit()

    async def _rows_without_alarm(self, *pending: ColumnElement[bool]) -> Sequence[Any]:
        """The pending rows whose timer is no longer in the ``timers`` table."""
        alarms = select(Timer.id)
        lost = self.model.timer_id.is_(None) | self.model.timer_id.not_in(alarms)
        async with self.database.session() as session:
            return (await session.scalars(select(self.model).where(lost, *pending))).all()

    async def attach_message(self, row_id: int, message_id: int) -> None:
        """Remember the bot's message about the row (a jump link's target, a poll's board)."""
        async with self.database.session() as session:
            await session.execute(
                update(self.model).where(self.model.id == row_id).values(message_id=message_id)
            )
            await session.commit()
