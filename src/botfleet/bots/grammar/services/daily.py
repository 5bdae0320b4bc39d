"""The daily tip and quiz question: a guild's schedule, and posts that happen once each.

The ``grammar_daily_schedules`` row is the truth and the scheduler's timer only the alarm
clock that wakes the bot at ``next_post_at``. The post first *claims* the row with a
compare-and-swap on ``next_post_at`` (moving it to the next day's time) and writes the post's
row in the same transaction, so a post woken twice (a timer re-made after a crash, or two bot
processes) happens once; the post row's unique (guild, day) says the same a second time. At
start, :meth:`DailyPosts.restore_timers` gives every schedule whose timer is gone a new one.

Times are wall-clock times in the guild's IANA zone: 09:00 stays 09:00 across daylight saving
changes; a time the change skips (02:30 when clocks jump to 03:00) posts just after the jump.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from botfleet.bots.grammar.services.lessons import Lessons, Question, Tip
from botfleet.database.base import Database
from botfleet.database.models.grammar import GrammarDailySchedule, GrammarQuizPost
from botfleet.database.models.timer import Timer
from botfleet.errors import UserError
from botfleet.services.scheduler import Scheduler
from botfleet.utils.timezones import Recurrence, clock_time, next_wall_time, resolve_zone

log = logging.getLogger(__name__)

TIMER_EVENT: Final = "grammar_daily"
"""The scheduler event; handled in ``on_grammar_daily_timer_complete``."""
DEFAULT_ZONE: Final = "UTC"
TIME_SEPARATORS: Final = ":.h"


class DailyError(UserError):
    """A daily-post request an admin can fix."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_post_time(text: str) -> time:
    """``HH:MM`` on the 24-hour clock (``9:05`` and ``09.05`` too); raises :class:`DailyError`."""
    wall = clock_time(text, TIME_SEPARATORS)
    if wall is None:
        shown = text.strip()[:20] or "nothing"
        raise DailyError(
            f"“{shown}” is not a time of day. Give it as HH:MM on the 24-hour clock, "
            "for example 09:00 or 18:30."
        )
    return wall


def next_post_at(wall: time, zone: ZoneInfo, *, after: datetime) -> datetime:
    """The first instant later than ``after`` when the clocks of ``zone`` show ``wall``."""
    return next_wall_time(after.astimezone(zone).date(), wall, Recurrence.DAILY, zone, after=after)


@dataclass(frozen=True, slots=True)
class DailySchedule:
    """Where and when a guild's daily post goes."""

    guild_id: int
    channel_id: int
    post_time: time
    timezone: str
    next_post_at: datetime
    set_by: int | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class DailyPost:
    """A post of the tip and question of one guild's day."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    day: date
    tip: Tip
    question: Question


def _schedule(row: GrammarDailySchedule) -> DailySchedule:
    return DailySchedule(
        row.guild_id,
        row.channel_id,
        time.fromisoformat(row.post_time),
        row.timezone,
        row.next_post_at,
        row.set_by,
    )


class DailyPosts:
    """Sets, shows and removes guilds' daily posts, and claims each post once."""

    def __init__(
        self,
        database: Database,
        scheduler: Scheduler,
        lessons: Lessons,
        zones: Collection[str],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.scheduler = scheduler
        self.lessons = lessons
        self.zones = zones
        self._clock = clock

    async def set(
        self, guild_id: int, channel_id: int, time_text: str, zone_text: str | None, admin_id: int
    ) -> DailySchedule:
        """Post daily in ``channel_id`` at ``time_text`` in the zone (UTC by default).

        A guild gets one post a day: when today's went out already, the new time starts
        tomorrow. Raises :class:`DailyError` or an unknown-zone error for bad input.
        """
        wall = parse_post_time(time_text)
        zone_name = resolve_zone(zone_text or DEFAULT_ZONE, self.zones)
        zone = ZoneInfo(zone_name)
        due = next_post_at(wall, zone, after=self._clock())
        async with self.database.session() as session:
            if await session.scalar(
                select(GrammarQuizPost.id).where(
                    GrammarQuizPost.guild_id == guild_id,
                    GrammarQuizPost.day == due.astimezone(zone).date(),
                )
            ):
                due = next_post_at(wall, zone, after=due)
            old_timer = await session.scalar(
                select(GrammarDailySchedule.timer_id).where(
                    GrammarDailySchedule.guild_id == guild_id
                )
            )
            values = {
                "channel_id": channel_id,
                "post_time": wall.strftime("%H:%M"),
                "timezone": zone_name,
                "next_post_at": due,
                "timer_id": None,
                "set_by": admin_id,
                "updated_at": self._clock(),
            }
            statement = self.database.upsert(GrammarDailySchedule).values(
                guild_id=guild_id, **values
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[GrammarDailySchedule.guild_id], set_=values
                )
            )
            await session.commit()
        if old_timer is not None:
            await self.scheduler.cancel(old_timer)
        await self._set_alarm(guild_id, due)
        log.info(
            "admin %d set the daily grammar post of guild %d to %s %s in channel %d",
            admin_id,
            guild_id,
            values["post_time"],
            zone_name,
            channel_id,
        )
        return DailySchedule(guild_id, channel_id, wall, zone_name, due, admin_id)

    async def get(self, guild_id: int) -> DailySchedule | None:
        async with self.database.session() as session:
            row = await session.get(GrammarDailySchedule, guild_id)
            return _schedule(row) if row is not None else None

    async def disable(self, guild_id: int, admin_id: int) -> DailySchedule | None:
        """Stop the guild's daily post; None when there was none."""
        async with self.database.session() as session:
            row = await session.get(GrammarDailySchedule, guild_id)
            if row is None:
                return None
            schedule, timer_id = _schedule(row), row.timer_id
            await session.execute(
                delete(GrammarDailySchedule).where(GrammarDailySchedule.guild_id == guild_id)
            )
            await session.commit()
        if timer_id is not None:
            await self.scheduler.cancel(timer_id)
        log.info("admin %d turned off the daily grammar post of guild %d", admin_id, guild_id)
        return schedule

    async def _set_alarm(self, guild_id: int, due: datetime) -> None:
        """Schedule the wake-up for ``due`` and keep its id, unless the schedule moved."""
        timer = await self.scheduler.schedule(
            due, TIMER_EVENT, {"guild_id": guild_id, "due_at": due.isoformat()}
        )
        async with self.database.session() as session:
            await session.execute(
                update(GrammarDailySchedule)
                .where(
                    GrammarDailySchedule.guild_id == guild_id,
                    GrammarDailySchedule.next_post_at == due,
                )
                .values(timer_id=timer.id)
            )
            await session.commit()

    async def claim(self, guild_id: int, due_at: datetime) -> DailyPost | None:
        """Take the post due at ``due_at`` and move the schedule on a day; None if not ours.

        Only one caller ever wins a given ``(guild_id, due_at)``; the next day's alarm is set
        by the winner. The day's tip and question are recorded with the post.
        """
        async with self.database.session() as session:
            row = await session.get(GrammarDailySchedule, guild_id)
            if row is None or row.next_post_at != due_at:
                return None
            schedule = _schedule(row)
            zone = schedule.zone
            following = next_post_at(schedule.post_time, zone, after=max(self._clock(), due_at))
            won = await session.execute(
                update(GrammarDailySchedule)
                .where(
                    GrammarDailySchedule.guild_id == guild_id,
                    GrammarDailySchedule.next_post_at == due_at,
                )
                .values(next_post_at=following, timer_id=None)
                .returning(GrammarDailySchedule.guild_id)
            )
            if won.first() is None:
                return None
            day = due_at.astimezone(zone).date()
            tip, question = self.lessons.of_day(guild_id, day)
            insert = (
                self.database.upsert(GrammarQuizPost)
                .values(
                    guild_id=guild_id,
                    channel_id=schedule.channel_id,
                    day=day,
                    tip_id=tip.id,
                    question_id=question.id,
                )
                .on_conflict_do_nothing(
                    index_elements=[GrammarQuizPost.guild_id, GrammarQuizPost.day]
                )
                .returning(GrammarQuizPost.id)
            )
            post_id = (await session.execute(insert)).scalar_one_or_none()
            await session.commit()
        await self._set_alarm(guild_id, following)
        if post_id is None:
            log.info("guild %d had its daily grammar post of %s already", guild_id, day)
            return None
        return DailyPost(post_id, guild_id, schedule.channel_id, None, day, tip, question)

    async def restore_timers(self) -> int:
        """Give every schedule whose alarm is gone a new one; returns how many.

        Run at start: a timer claimed by a process that then crashed, or kept in the memory of
        a process that died, leaves its schedule without an alarm. A spare alarm is harmless
        (the claim lets one post through), a missing one would stop the guild's posts.
        """
        lost = GrammarDailySchedule.timer_id.is_(None) | GrammarDailySchedule.timer_id.not_in(
            select(Timer.id)
        )
        async with self.database.session() as session:
            rows = (await session.scalars(select(GrammarDailySchedule).where(lost))).all()
            schedules = [_schedule(row) for row in rows]
        for schedule in schedules:
            await self._set_alarm(schedule.guild_id, schedule.next_post_at)
        if schedules:
            log.info("gave %d daily grammar posts a new alarm", len(schedules))
        return len(schedules)

    async def attach_message(self, post_id: int, message_id: int) -> None:
        """Remember the message a post went out as."""
        async with self.database.session() as session:
            await session.execute(
                update(GrammarQuizPost)
                .where(GrammarQuizPost.id == post_id)
                .values(message_id=message_id)
            )
            await session.commit()

    async def post(self, post_id: int) -> DailyPost | None:
        """A post by id; None when it is unknown or its lessons left the bundled file."""
        async with self.database.session() as session:
            row = await session.get(GrammarQuizPost, post_id)
        if row is None:
            return None
        tip, question = self.lessons.tip(row.tip_id), self.lessons.question(row.question_id)
        if tip is None or question is None:
            log.warning("daily post %d names lessons no longer bundled", post_id)
            return None
        return DailyPost(
            row.id, row.guild_id, row.channel_id, row.message_id, row.day, tip, question
        )
