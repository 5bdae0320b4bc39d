"""Bans in force and the timers that lift temporary ones.

The rule for "what is the member's current sanction": the ban recorded last wins. A tempban
stores its case number in the ``mod_bans`` row and in its unban timer; a later ban (permanent
or temporary) replaces the row and cancels the earlier timer. Cancelling is a courtesy: the
unban handler asks :func:`decide_unban`, which lifts a ban only when the timer's case is still
the ban in force, so an earlier tempban can never undo a later permanent ban, even if its timer
fired in the same instant.

A failing unban (Discord down, missing permission) is retried on the scheduler a bounded number
of times by :class:`UnbanRetryPolicy`; the handler logs once when it gives up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import delete

from botfleet.database.base import Database
from botfleet.database.models.mod import ModBan
from botfleet.services.scheduler import ScheduledTimer, Scheduler

logger = logging.getLogger(__name__)

UNBAN_EVENT: Final = "mod_unban"
"""The timer that ends a tempban: handled in ``on_mod_unban_timer_complete``."""


@dataclass(frozen=True, slots=True)
class BanInForce:
    """The ban the bot knows a user is under in a guild."""

    guild_id: int
    user_id: int
    case_number: int
    until: datetime | None
    timer_id: int | None

    @property
    def permanent(self) -> bool:
        return self.until is None


@dataclass(frozen=True, slots=True)
class UnbanTimer:
    """What an unban timer carries: the ban it lifts and how many attempts failed so far."""

    guild_id: int
    user_id: int
    case_number: int
    attempt: int = 0

    @classmethod
    def from_timer(cls, timer: ScheduledTimer) -> UnbanTimer:
        payload = timer.payload
        return cls(
            guild_id=int(payload["guild_id"]),
            user_id=int(payload["target_id"]),
            case_number=int(payload["case_number"]),
            attempt=int(payload.get("attempt", 0)),
        )

    def payload(self) -> dict[str, Any]:
        # Not "user_id", the key a data-deletion request deletes timers by: the ban and its
        # end belong to the server's record, like its cases, and survive the request.
        return {
            "guild_id": self.guild_id,
            "target_id": self.user_id,
            "case_number": self.case_number,
            "attempt": self.attempt,
        }


class UnbanDecision(StrEnum):
    """What an unban timer should do when it fires."""

    UNBAN = "unban"
    """The tempban it was set for is still the ban in force: lift it."""
    SUPERSEDED = "superseded"
    """A later ban replaced it: leave the member banned."""
    LIFTED = "lifted"
    """No ban is recorded any more (a moderator unbanned them): nothing to do."""


def decide_unban(ban: BanInForce | None, timer: UnbanTimer) -> UnbanDecision:
    """Whether a firing unban timer may lift the ban: only its own, still temporary, ban."""
    if ban is None:
        return UnbanDecision.LIFTED
    if ban.case_number != timer.case_number or ban.permanent:
        return UnbanDecision.SUPERSEDED
    return UnbanDecision.UNBAN


@dataclass(frozen=True, slots=True)
class UnbanRetryPolicy:
    """How often a failing unban is tried again: ``attempts`` retries, each wait ``factor``x."""

    attempts: int = 5
    first_delay: timedelta = timedelta(minutes=1)
    factor: int = 4

    def delay(self, failures: int) -> timedelta | None:
        """The wait before the next try after ``failures`` failed tries; None: give up."""
        if failures < 1:
            raise ValueError("a retry follows at least one failure")
        if failures > self.attempts:
            return None
        multiplier: int = self.factor ** (failures - 1)
        return self.first_delay * multiplier


def _ban(row: ModBan) -> BanInForce:
    return BanInForce(
        guild_id=row.guild_id,
        user_id=row.user_id,
        case_number=row.case_number,
        until=row.until,
        timer_id=row.timer_id,
    )


class BanService:
    """The bans in force and their unban timers on the shared scheduler."""

    def __init__(
        self,
        database: Database,
        scheduler: Scheduler,
        retry_policy: UnbanRetryPolicy | None = None,
    ) -> None:
        self.database = database
        self.scheduler = scheduler
        self.retry_policy = retry_policy if retry_policy is not None else UnbanRetryPolicy()

    async def current(self, guild_id: int, user_id: int) -> BanInForce | None:
        async with self.database.session() as session:
            row = await session.get(ModBan, (guild_id, user_id))
            return _ban(row) if row is not None else None

    async def record(
        self, guild_id: int, user_id: int, case_number: int, until: datetime | None
    ) -> BanInForce:
        """Make a ban (``until`` None: permanent) the one in force, replacing any earlier.

        The new unban timer is stored before the row, and the earlier timer cancelled after,
        so a crash in between leaves a timer that :func:`decide_unban` ignores, never a
        tempban without its end.
        """
        previous = await self.current(guild_id, user_id)
        timer_id: int | None = None
        if until is not None:
            timer = await self.scheduler.schedule(
                until,
                UNBAN_EVENT,
                UnbanTimer(guild_id, user_id, case_number).payload(),
                durable=True,
            )
            timer_id = timer.id
        values = {"case_number": case_number, "until": until, "timer_id": timer_id}
        statement = (
            self.database.upsert(ModBan)
            .values(guild_id=guild_id, user_id=user_id, **values)
            .on_conflict_do_update(index_elements=[ModBan.guild_id, ModBan.user_id], set_=values)
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
        if previous is not None and previous.timer_id is not None:
            await self.scheduler.cancel(previous.timer_id)
        return BanInForce(guild_id, user_id, case_number, until, timer_id)

    async def lifted(self, guild_id: int, user_id: int) -> BanInForce | None:
        """Forget the ban in force (the member was unbanned); cancel its timer; return it."""
        statement = (
            delete(ModBan)
            .where(ModBan.guild_id == guild_id, ModBan.user_id == user_id)
            .returning(ModBan)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            row = (await session.scalars(statement)).first()
            ban = _ban(row) if row is not None else None
            await session.commit()
        if ban is not None and ban.timer_id is not None:
            await self.scheduler.cancel(ban.timer_id)
        return ban

    async def decide(self, timer: UnbanTimer) -> UnbanDecision:
        """What a firing unban timer should do, by the ban in force now."""
        return decide_unban(await self.current(timer.guild_id, timer.user_id), timer)

    async def retry_later(self, timer: UnbanTimer, now: datetime) -> ScheduledTimer | None:
        """Schedule the next try of a failed unban, or None (and one log line) when done trying.

        The retry's timer replaces the ban's, so a later ban still cancels it.
        """
        failures = timer.attempt + 1
        delay = self.retry_policy.delay(failures)
        if delay is None:
            logger.error(
                "Giving up lifting the tempban of case #%d in guild %d after %d failed tries",
                timer.case_number,
                timer.guild_id,
                failures,
            )
            return None
        retry = UnbanTimer(timer.guild_id, timer.user_id, timer.case_number, failures)
        scheduled = await self.scheduler.schedule(
            now + delay, UNBAN_EVENT, retry.payload(), durable=True
        )
        async with self.database.session() as session:
            row = await session.get(ModBan, (timer.guild_id, timer.user_id))
            if row is not None and row.case_number == timer.case_number:
                row.timer_id = scheduled.id
            await session.commit()
        return scheduled
