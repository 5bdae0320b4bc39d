"""Daily AI budgets: how many requests and tokens a member and a server may spend per UTC day.

A request first *reserves* one request on the member's row and the server's row, each in one
statement that increments only while the row is under its limits (an upsert with a guarded
update), inside one transaction: two processes racing for the last request of a budget cannot
both get it, and a refusal on the server's row undoes the member's. Tokens are only known once
the answer arrives; they are *recorded* with another single-statement increment. The token limit
is checked at reservation, so one answer may overshoot it, by at most ``max_output_tokens`` and
the prompt. A request that gets no answer is *refunded*.

Members' rows count fleet-wide (every bot, every server), so a member cannot multiply their
budget by joining more servers; a server's row bounds what all its members spend there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.config.schema import AISection
from botfleet.database.base import Database
from botfleet.database.models.ai import AIUsage
from botfleet.services.ai.errors import AIBudgetExceededError
from botfleet.services.premium import PremiumService, Subject
from botfleet.services.premium import Scope as PremiumScope

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Scope(StrEnum):
    """Whose budget a usage row counts."""

    USER = "user"
    GUILD = "guild"


@dataclass(frozen=True, slots=True)
class Limits:
    """A daily budget."""

    requests: int
    tokens: int


@dataclass(frozen=True, slots=True)
class Usage:
    """What a member or server spent on one day, against their budget."""

    scope: Scope
    subject_id: int
    day: date
    requests: int
    tokens: int
    limits: Limits
    premium: bool

    @property
    def exhausted(self) -> bool:
        """Whether the next request would be refused."""
        return self.requests >= self.limits.requests or self.tokens >= self.limits.tokens


@dataclass(frozen=True, slots=True)
class Reservation:
    """One request taken from the budgets of a member (and their server) on one day."""

    user_id: int
    guild_id: int | None
    day: date

    def subjects(self) -> list[tuple[Scope, int]]:
        """The usage rows the request counts on: the member's first, always in that order."""
        rows = [(Scope.USER, self.user_id)]
        if self.guild_id is not None:
            rows.append((Scope.GUILD, self.guild_id))
        return rows


def utc_now() -> datetime:
    return datetime.now(UTC)


def next_reset(day: date) -> datetime:
    """When the budgets of ``day`` end: the next UTC midnight."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


class AIBudget:
    """Reserves, records, shows and resets the daily AI usage of members and servers."""

    def __init__(
        self,
        database: Database,
        settings: AISection,
        *,
        clock: Clock = utc_now,
        premium: PremiumService | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.premium = premium if premium is not None else PremiumService(database, clock=clock)

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def limits(self, scope: Scope, *, premium: bool) -> Limits:
        """The configured budget of a member or server, multiplied for premium ones."""
        if scope is Scope.USER:
            base = Limits(self.settings.user_daily_requests, self.settings.user_daily_tokens)
        else:
            base = Limits(self.settings.guild_daily_requests, self.settings.guild_daily_tokens)
        if not premium:
            return base
        factor = self.settings.premium_multiplier
        return Limits(int(base.requests * factor), int(base.tokens * factor))

    async def is_premium(self, scope: Scope, subject_id: int) -> bool:
        """Whether the member or server has premium now (the fleet's shared check)."""
        return await self.premium.is_active(Subject(PremiumScope(scope.value), subject_id))

    async def reserve(self, user_id: int, guild_id: int | None) -> Reservation:
        """Take one request from today's budgets, or raise :class:`AIBudgetExceededError`."""
        reservation = Reservation(user_id, guild_id, self.today())
        # Read premium before the writing transaction: on SQLite, a transaction that reads
        # first and writes later fails at once when another process wrote in between.
        budgets = [
            (
                scope,
                subject_id,
                self.limits(scope, premium=await self.is_premium(scope, subject_id)),
            )
            for scope, subject_id in reservation.subjects()
        ]
        async with self.database.session() as session:
            for scope, subject_id, limits in budgets:
                if not await self._take_request(
                    session, scope, subject_id, reservation.day, limits
                ):
                    await session.rollback()
                    log.info(
                        "AI budget of %s %d used up for %s (%d requests, %d tokens)",
                        scope,
                        subject_id,
                        reservation.day,
                        limits.requests,
                        limits.tokens,
                    )
                    raise AIBudgetExceededError(scope, next_reset(reservation.day))
            await session.commit()
        return reservation

    async def _take_request(
        self, session: AsyncSession, scope: Scope, subject_id: int, day: date, limits: Limits
    ) -> bool:
        table = cast(Table, AIUsage.__table__)
        now = self.clock()
        insert = self.database.upsert(AIUsage).values(
            scope=scope.value, subject_id=subject_id, day=day, requests=1, tokens=0, updated_at=now
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.scope, table.c.subject_id, table.c.day],
            set_={"requests": table.c.requests + 1, "updated_at": now},
            where=(table.c.requests < limits.requests) & (table.c.tokens < limits.tokens),
        ).returning(table.c.requests)
        return (await session.execute(statement)).first() is not None

    async def record(self, reservation: Reservation, tokens: int) -> None:
        """Add the tokens an answer used to the rows its request was reserved on."""
        if tokens <= 0:
            return
        await self._change_rows(reservation, tokens=AIUsage.tokens + tokens)

    async def refund(self, reservation: Reservation) -> None:
        """Give back a reserved request that got no answer."""
        await self._change_rows(reservation, [AIUsage.requests > 0], requests=AIUsage.requests - 1)

    async def _change_rows(
        self,
        reservation: Reservation,
        conditions: Sequence[ColumnElement[bool]] = (),
        **values: Any,
    ) -> None:
        """Apply one increment to each of the reservation's rows, in one transaction."""
        async with self.database.session() as session:
            for scope, subject_id in reservation.subjects():
                await session.execute(
                    update(AIUsage)
                    .where(
                        AIUsage.scope == scope.value,
                        AIUsage.subject_id == subject_id,
                        AIUsage.day == reservation.day,
                        *conditions,
                    )
                    .values(updated_at=self.clock(), **values)
                    .execution_options(synchronize_session=False)
                )
            await session.commit()

    async def usage(self, scope: Scope, subject_id: int, day: date | None = None) -> Usage:
        """What a member or server spent on ``day`` (today by default), with their budget."""
        day = day if day is not None else self.today()
        statement = select(AIUsage.requests, AIUsage.tokens).where(
            AIUsage.scope == scope.value, AIUsage.subject_id == subject_id, AIUsage.day == day
        )
        async with self.database.session() as session:
            row = (await session.execute(statement)).first()
        premium = await self.is_premium(scope, subject_id)
        requests, tokens = (row.requests, row.tokens) if row is not None else (0, 0)
        return Usage(
            scope=scope,
            subject_id=subject_id,
            day=day,
            requests=requests,
            tokens=tokens,
            limits=self.limits(scope, premium=premium),
            premium=premium,
        )

    async def user_usage(self, user_id: int, day: date | None = None) -> Usage:
        return await self.usage(Scope.USER, user_id, day)

    async def guild_usage(self, guild_id: int, day: date | None = None) -> Usage:
        return await self.usage(Scope.GUILD, guild_id, day)

    async def reset(self, scope: Scope, subject_id: int, day: date | None = None) -> Usage:
        """Clear what a member or server spent on ``day`` (today); returns the usage cleared."""
        before = await self.usage(scope, subject_id, day)
        statement = delete(AIUsage).where(
            AIUsage.scope == scope.value,
            AIUsage.subject_id == subject_id,
            AIUsage.day == before.day,
        )
        async with self.database.session() as session:
            await session.execute(statement.execution_options(synchronize_session=False))
            await session.commit()
        log.info(
            "AI usage of %s %d on %s reset (was %d requests, %d tokens)",
            scope,
            subject_id,
            before.day,
            before.requests,
            before.tokens,
        )
        return before

    async def reset_user(self, user_id: int, day: date | None = None) -> Usage:
        return await self.reset(Scope.USER, user_id, day)

    async def reset_guild(self, guild_id: int, day: date | None = None) -> Usage:
        return await self.reset(Scope.GUILD, guild_id, day)
