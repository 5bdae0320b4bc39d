"""Reminders: set in a member's own words and zone, delivered once, surviving restarts.

The ``reminders`` row is the truth and the scheduler's timer is only the alarm clock that wakes
the bot at ``due_at``. Delivery first *claims* the row with a compare-and-swap on ``due_at`` (a
one-off row is deleted, a recurring one moves to its next occurrence) and sends only if the claim
won, so a reminder woken twice (a timer re-made after a crash, or two bot processes) is
delivered once. At start, :meth:`ReminderService.restore_timers` gives every reminder whose timer
is gone a new one, so a crash loses none; a reminder due during the downtime fires at start.

The one gap, by design: if the process dies between a won claim and the message reaching
Discord, that one delivery is lost rather than risk sending it twice (at most once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import Delete, Update, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.bots.utility.services.alarms import AlarmedService
from botfleet.bots.utility.services.when import Recurrence, next_occurrence, parse_when
from botfleet.database.models.utility import Reminder as ReminderRow
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

TIMER_EVENT: Final = "reminder"
"""The scheduler event; the Utility Bot handles it in ``on_reminder_timer_complete``."""


class ReminderError(UserError):
    """A reminder request the member can fix."""


class ReminderNotFoundError(ReminderError):
    """No reminder of *this member* has that number (another member's counts as none)."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """A pending reminder as the commands show it."""

    id: int
    user_id: int
    guild_id: int | None
    channel_id: int
    message_id: int | None
    content: str
    due_at: datetime
    timezone: str
    recurrence: Recurrence | None
    direct_message: bool

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def jump_url(self) -> str | None:
        """A link to the bot's answer when the reminder was set (None if it was not kept)."""
        if self.message_id is None:
            return None
        place = self.guild_id if self.guild_id is not None else "@me"
        return f"https://discord.com/channels/{place}/{self.channel_id}/{self.message_id}"


@dataclass(frozen=True, slots=True)
class ClaimedReminder:
    """A reminder taken for delivery, and when it comes back if it repeats."""

    reminder: Reminder
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class NewReminder:
    """What a member asked for with ``/remind``; ``when`` is still their own words."""

    user_id: int
    guild_id: int | None
    channel_id: int
    when: str
    content: str
    recurrence: Recurrence | None = None
    direct_message: bool = False


def _from_row(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        user_id=row.user_id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        content=row.content,
        due_at=row.due_at,
        timezone=row.timezone,
        recurrence=Recurrence(row.recurrence) if row.recurrence is not None else None,
        direct_message=row.direct_message,
    )


class ReminderService(AlarmedService):
    """Creates, lists, edits, deletes and claims reminders; no Discord in here."""

    model = ReminderRow

    def _check_content(self, content: str) -> str:
        text = content.strip()
        if not text:
            raise ReminderError("Please say what to remind you of.")
        limit = self.options.max_reminder_length
        if len(text) > limit:
            raise ReminderError(
                f"A reminder can be at most {limit} characters; yours has {len(text)}."
            )
        return text

    async def create(self, request: NewReminder) -> Reminder:
        """Store the reminder and set its alarm; raises :class:`UserError` for bad input."""
        content = self._check_content(request.content)
        zone = await self.timezones.zone_of(request.user_id)
        now = self._clock()
        due_at = parse_when(request.when, now=now, zone=zone)
        limit = self.options.max_reminders_per_member
        async with self.database.session() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(ReminderRow)
                .where(ReminderRow.user_id == request.user_id)
            )
            if (pending or 0) >= limit:
                raise ReminderError(
                    f"You already have {plural(limit, 'reminder')}, the most one member may keep. "
                    "Delete one with /reminders delete first."
                )
            row = ReminderRow(
                user_id=request.user_id,
                guild_id=request.guild_id,
                channel_id=request.channel_id,
                content=content,
                due_at=due_at,
                timezone=zone.key,
                recurrence=request.recurrence.value if request.recurrence else None,
                direct_message=request.direct_message,
            )
            session.add(row)
            await session.commit()
        reminder = _from_row(row)
        await self._set_alarm(reminder)
        log.info("reminder %d set by %d for %s", reminder.id, reminder.user_id, due_at.isoformat())
        return reminder

    async def _set_alarm(self, reminder: Reminder) -> None:
        payload = {
            "reminder_id": reminder.id,
            "user_id": reminder.user_id,
            "due_at": reminder.due_at.isoformat(),
        }
        await self._ring(
            reminder.id,
            reminder.due_at,
            TIMER_EVENT,
            payload,
            ReminderRow.due_at == reminder.due_at,
        )

    async def list_for(self, user_id: int) -> list[Reminder]:
        """The member's pending reminders, soonest first."""
        async with self.database.session() as session:
            rows = await session.scalars(
                select(ReminderRow)
                .where(ReminderRow.user_id == user_id)
                .order_by(ReminderRow.due_at, ReminderRow.id)
            )
            return [_from_row(row) for row in rows]

    async def get(self, user_id: int, reminder_id: int) -> Reminder:
        """One of the member's reminders; another member's is reported as not found."""
        async with self.database.session() as session:
            row = await session.get(ReminderRow, reminder_id)
        if row is None or row.user_id != user_id:
            raise ReminderNotFoundError(
                f"You have no reminder #{reminder_id}. /reminders list shows yours."
            )
        return _from_row(row)

    async def delete(self, user_id: int, reminder_id: int) -> Reminder:
        """Delete one of the member's reminders and its alarm."""
        reminder = await self.get(user_id, reminder_id)
        async with self.database.session() as session:
            row = await session.get(ReminderRow, reminder_id)
            timer_id = row.timer_id if row is not None else None
            await session.execute(
                delete(ReminderRow).where(
                    ReminderRow.id == reminder_id, ReminderRow.user_id == user_id
                )
            )
            await session.commit()
        if timer_id is not None:
            await self.scheduler.cancel(timer_id)
        log.info("reminder %d deleted by %d", reminder_id, user_id)
        return reminder

    async def forget_in_guild(self, user_id: int, guild_id: int) -> int:
        """Delete the member's reminders set in one server (they were banned from it) and
        their alarms; how many went. Reminders set in other servers or in DMs stay."""
        async with self.database.session() as session:
            gone = await session.execute(
                delete(ReminderRow)
                .where(ReminderRow.user_id == user_id, ReminderRow.guild_id == guild_id)
                .returning(ReminderRow.timer_id)
            )
            timer_ids = [timer_id for (timer_id,) in gone.all()]
            await session.commit()
        for timer_id in timer_ids:
            if timer_id is not None:
                await self.scheduler.cancel(timer_id)
        return len(timer_ids)

    async def edit(
        self,
        user_id: int,
        reminder_id: int,
        *,
        when: str | None = None,
        content: str | None = None,
        recurrence: Recurrence | None = None,
        stop_repeating: bool = False,
    ) -> Reminder:
        """Change a reminder's time, text or repetition; its old alarm is replaced."""
        current = await self.get(user_id, reminder_id)
        if when is None and content is None and recurrence is None and not stop_repeating:
            raise ReminderError("Tell me what to change: the time, the text or the repetition.")
        new_content = self._check_content(content) if content is not None else current.content
        due_at = current.due_at
        zone = current.zone
        if when is not None:
            zone = await self.timezones.zone_of(user_id)
            due_at = parse_when(when, now=self._clock(), zone=zone)
        new_recurrence = None if stop_repeating else (recurrence or current.recurrence)
        moved = due_at != current.due_at
        changes: dict[str, object] = {
            "content": new_content,
            "due_at": due_at,
            "timezone": zone.key,
            "recurrence": new_recurrence.value if new_recurrence else None,
        }
        if moved:
            changes["timer_id"] = None
        async with self.database.session() as session:
            old_timer = await session.scalar(
                select(ReminderRow.timer_id).where(ReminderRow.id == reminder_id)
            )
            won = await session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.due_at == current.due_at)
                .values(changes)
                .returning(ReminderRow.id)
            )
            if won.first() is None:
                raise ReminderError(
                    f"Reminder #{reminder_id} just went off or changed; check /reminders list."
                )
            await session.commit()
        edited = replace(
            current,
            content=new_content,
            due_at=due_at,
            timezone=zone.key,
            recurrence=new_recurrence,
        )
        if moved:
            if old_timer is not None:
                await self.scheduler.cancel(old_timer)
            await self._set_alarm(edited)
        log.info("reminder %d edited by %d", reminder_id, user_id)
        return edited

    async def claim(self, reminder_id: int, due_at: datetime) -> ClaimedReminder | None:
        """Take the reminder for delivery, if it is still due at ``due_at``; None otherwise.

        A one-off reminder's row is deleted; a recurring one's moves to its next occurrence and
        gets its next alarm. Only one caller ever wins a given ``(reminder_id, due_at)``.
        """
        async with self.database.session() as session:
            row = await session.get(ReminderRow, reminder_id)
            if row is None or row.due_at != due_at:
                return None
            reminder = _from_row(row)
            statement: Delete | Update
            if reminder.recurrence is None:
                statement = delete(ReminderRow).where(
                    ReminderRow.id == reminder_id, ReminderRow.due_at == due_at
                )
                next_due = None
            else:
                next_due = next_occurrence(
                    due_at, reminder.recurrence, reminder.zone, after=self._clock()
                )
                statement = (
                    update(ReminderRow)
                    .where(ReminderRow.id == reminder_id, ReminderRow.due_at == due_at)
                    .values(due_at=next_due, timer_id=None)
                )
            won = await session.execute(statement.returning(ReminderRow.id))
            if won.first() is None:
                return None
            await session.commit()
        if next_due is not None:
            await self._set_alarm(replace(reminder, due_at=next_due))
        return ClaimedReminder(reminder, next_due)

    async def restore_timers(self) -> int:
        """Give every pending reminder whose alarm is gone a new one; returns how many.

        Run at start: a timer claimed by a process that then crashed, or kept in the memory of
        a process that died, leaves its reminder without an alarm. A spare alarm is harmless
        (the claim lets one delivery through), a missing one loses a reminder.
        """
        rows = await self._rows_without_alarm()
        reminders = [_from_row(row) for row in rows]
        for reminder in reminders:
            await self._set_alarm(reminder)
        if reminders:
            log.info("gave %d reminders a new alarm after a restart", len(reminders))
        return len(reminders)


async def delete_reminders(session: AsyncSession, user_id: int) -> int:
    """Privacy: a member's reminders go with them (their alarms with the shared timers)."""
    statement = delete(ReminderRow).where(ReminderRow.user_id == user_id)
    return await count_deleted(session, statement, ReminderRow.id)


registry.register("reminders", delete_reminders)
