"""A guild's case log: one numbered entry per action, amended but never renumbered.

Numbers come from a per-guild counter row raised by an upsert in the transaction that inserts
the case. The upsert locks the row (PostgreSQL) or the database (SQLite) until the commit, so
a second moderator's case waits for the first and takes the next number: no gaps, no
duplicates, whatever the number of bot processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.bots.mod.services.limits import CaseAction, check_reason
from botfleet.database.base import Database
from botfleet.database.models.mod import ModCase, ModCaseCounter
from botfleet.errors import UserError

CASES_PAGE: Final = 25
"""Cases listed at most by one request (an embed holds 25 fields)."""


class CaseNotFoundError(UserError):
    """No case has that number in the guild."""

    def __init__(self, number: int) -> None:
        super().__init__(f"There is no case #{number} in this server — `cases @member` lists them.")
        self.number = number


@dataclass(frozen=True, slots=True)
class NewCase:
    """What taking an action records; the reason is checked when stored."""

    guild_id: int
    action: CaseAction
    target_id: int
    target_name: str
    moderator_id: int
    reason: str | None = None
    until: datetime | None = None
    channel_id: int | None = None
    dm_text: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One entry of a case log, as stored."""

    guild_id: int
    number: int
    action: CaseAction
    target_id: int
    target_name: str
    moderator_id: int
    reason: str | None
    created_at: datetime
    until: datetime | None
    channel_id: int | None
    modlog_message_id: int | None
    dm_text: str | None
    amended_at: datetime | None
    amended_by: int | None


def _case(row: ModCase) -> Case:
    return Case(
        guild_id=row.guild_id,
        number=row.number,
        action=CaseAction(row.action),
        target_id=row.target_id,
        target_name=row.target_name,
        moderator_id=row.moderator_id,
        reason=row.reason,
        created_at=row.created_at,
        until=row.until,
        channel_id=row.channel_id,
        modlog_message_id=row.modlog_message_id,
        dm_text=row.dm_text,
        amended_at=row.amended_at,
        amended_by=row.amended_by,
    )


async def insert_case(
    database: Database, session: AsyncSession, new: NewCase, now: datetime
) -> Case:
    """Number and add a case in ``session``'s transaction; the caller commits.

    The counter is raised first, so the transaction holds its lock before anything else.
    """
    reason = check_reason(new.reason)
    claim = (
        database.upsert(ModCaseCounter)
        .values(guild_id=new.guild_id, last_number=1)
        .on_conflict_do_update(
            index_elements=[ModCaseCounter.guild_id],
            set_={"last_number": ModCaseCounter.last_number + 1},
        )
        .returning(ModCaseCounter.last_number)
    )
    number = (await session.execute(claim)).scalar_one()
    row = ModCase(
        guild_id=new.guild_id,
        number=number,
        action=new.action.value,
        target_id=new.target_id,
        target_name=new.target_name,
        moderator_id=new.moderator_id,
        reason=reason,
        created_at=now,
        until=new.until,
        channel_id=new.channel_id,
        dm_text=new.dm_text,
    )
    session.add(row)
    await session.flush()
    return _case(row)


class CaseStore:
    """The case logs of every guild."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, new: NewCase, now: datetime) -> Case:
        """Record an action as the guild's next case."""
        async with self.database.session() as session:
            case = await insert_case(self.database, session, new, now)
            await session.commit()
        return case

    async def get(self, guild_id: int, number: int) -> Case:
        """One case, or :class:`CaseNotFoundError`."""
        async with self.database.session() as session:
            row = await session.get(ModCase, (guild_id, number))
            if row is None:
                raise CaseNotFoundError(number)
            return _case(row)

    async def for_member(
        self, guild_id: int, target_id: int, limit: int = CASES_PAGE
    ) -> list[Case]:
        """A member's cases in a guild, newest first."""
        statement = (
            select(ModCase)
            .where(ModCase.guild_id == guild_id, ModCase.target_id == target_id)
            .order_by(ModCase.number.desc())
            .limit(limit)
        )
        async with self.database.session() as session:
            return [_case(row) for row in await session.scalars(statement)]

    async def amend_reason(
        self, guild_id: int, number: int, reason: str, moderator_id: int, now: datetime
    ) -> Case:
        """Replace a case's reason (``reason <case> <text>``); the modlog entry is edited next."""
        checked = check_reason(reason)
        if checked is None:
            raise UserError("Give the new reason after the case number.")
        statement = (
            update(ModCase)
            .where(ModCase.guild_id == guild_id, ModCase.number == number)
            .values(reason=checked, amended_at=now, amended_by=moderator_id)
            .returning(ModCase)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            row = (await session.scalars(statement)).first()
            if row is None:
                raise CaseNotFoundError(number)
            case = _case(row)
            await session.commit()
        return case

    async def attach_modlog_message(self, guild_id: int, number: int, message_id: int) -> None:
        """Remember the modlog entry of a case, so amending it can edit the post."""
        statement = (
            update(ModCase)
            .where(ModCase.guild_id == guild_id, ModCase.number == number)
            .values(modlog_message_id=message_id)
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
