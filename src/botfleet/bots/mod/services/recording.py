"""Recording a case around the action it describes, so a failed action leaves no case behind.

The case is numbered first (its number goes into the audit-log reason and the DM), the action
runs while the transaction holds the guild's counter, and the case is committed only if the
action succeeded; otherwise the transaction rolls back and the number is free again. Two
moderators acting at once wait for each other, so numbers stay without gaps or duplicates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from botfleet.bots.mod.services.cases import Case, NewCase, insert_case
from botfleet.database.base import Database


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CaseRecorder:
    """Numbers a case, lets the caller act with it, and keeps it only when the action went."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = _utcnow) -> None:
        self.database = database
        self.clock = clock

    @asynccontextmanager
    async def recording(self, new: NewCase) -> AsyncIterator[Case]:
        """The numbered case for the ``async with`` block, committed when it ends cleanly."""
        async with self.database.session() as session:
            case = await insert_case(self.database, session, new, self.clock())
            yield case
            await session.commit()
