"""The Spelling Bee's puzzle mode: today's puzzle, a guild's progress, answers and records.

Everything here is Discord-free: the commands and the message listener translate. The puzzle
of a day is generated once per process (in a thread) and kept; the word list it is made from is
read for it and dropped (16 ms once a day, where keeping it cost an idle bot 1.3 MB: issue 16).
A guild's daily post happens at a wall-clock time in the guild's time zone (UTC unless set), so
it keeps its local time across daylight saving changes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botfleet.bots.spelling_bee.services.puzzle import (
    GENIUS,
    QUEEN_BEE,
    Puzzle,
    Rank,
    Verdict,
    WordList,
    next_rank,
    normalise_guess,
    rank_for,
    rank_threshold,
    shuffled_outer,
    word_score,
)
from botfleet.bots.spelling_bee.services.rewards import RewardReporter
from botfleet.bots.spelling_bee.services.store import (
    BeeStore,
    DailyPost,
    Find,
    FoundWord,
    PuzzleChannel,
    PuzzleStats,
)
from botfleet.cache import CacheHierarchy
from botfleet.database.base import Database
from botfleet.errors import UserError
from botfleet.gamification import LevelUp
from botfleet.services.scheduler import Scheduler
from botfleet.utils.memory import give_back_freed_heap
from botfleet.utils.timezones import UTC_ZONE, Recurrence, clock_time, next_wall_time

log = logging.getLogger(__name__)

MAX_GUESS_LENGTH: Final = 20
KEPT_PUZZLES: Final = 2
"""Puzzles kept in memory (today's and the day before), so the cache never grows."""
DAILY_EVENT: Final = "spelling_bee_daily"
"""Handled as ``on_spelling_bee_daily_timer_complete``."""
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def puzzle_day(moment: datetime) -> str:
    """The seed of the puzzle played at ``moment``: its UTC day."""
    return moment.astimezone(UTC).date().isoformat()


def parse_daily_time(text: str, zone: ZoneInfo = UTC_ZONE) -> time:
    """``HH:MM`` on a 24-hour clock, as members type it: a time of day on the clocks of ``zone``."""
    wall = clock_time(text)
    if wall is None:
        raise UserError("Give the time as HH:MM on a 24-hour clock, like 08:30.")
    return wall.replace(tzinfo=zone)


def zone_of(at: time) -> ZoneInfo:
    """The zone a daily time is read in: its own, UTC for a time without an IANA zone."""
    return at.tzinfo if isinstance(at.tzinfo, ZoneInfo) else UTC_ZONE


def next_post_at(at: time, now: datetime) -> datetime:
    """The first moment after ``now`` when the clocks of ``at``'s zone show ``at``.

    The wall-clock time is kept whatever the day's offset: 08:30 in Paris is 07:30 UTC in
    winter and 06:30 UTC in summer; a time skipped when clocks jump forward comes after the jump.
    """
    zone = zone_of(at)
    today = now.astimezone(zone).date()
    return next_wall_time(today, at.replace(tzinfo=None), Recurrence.DAILY, zone, after=now)


def stored_zone(name: str | None) -> ZoneInfo:
    """The zone saved for a guild; UTC when none was set or the zone database lost it."""
    if name is None:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("the time zone %r is not in the zone database; using UTC", name)
        return UTC_ZONE


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a guild stands on a day's puzzle."""

    day: str
    puzzle: Puzzle
    finds: tuple[Find, ...]

    @property
    def words(self) -> list[str]:
        return [find.word for find in self.finds]

    @property
    def score(self) -> int:
        return self.puzzle.score(self.words)

    @property
    def rank(self) -> Rank:
        return rank_for(self.score, self.puzzle.max_score)

    @property
    def next_rank(self) -> tuple[Rank, int] | None:
        return next_rank(self.score, self.puzzle.max_score)


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one member found of a day's puzzle for their server."""

    user_id: int
    words: int
    points: int
    pangrams: int


@dataclass(frozen=True, slots=True)
class Answer:
    """The verdict on one submitted word, and the guild's progress after it."""

    word: str
    verdict: Verdict
    points: int
    progress: Progress
    rank_before: Rank
    level_ups: tuple[LevelUp, ...] = ()


class BeeService:
    """The puzzle of the day and every guild's progress on it."""

    def __init__(
        self,
        database: Database,
        words: Callable[[], WordList],
        *,
        clock: Clock = utc_now,
        rewards: RewardReporter | None = None,
        scheduler: Scheduler | None = None,
        cache: CacheHierarchy | None = None,
    ) -> None:
        self.store = BeeStore(database, cache)
        self.scheduler = scheduler
        self.words = words
        self.clock = clock
        self.rewards = rewards
        self._puzzles: dict[str, Puzzle] = {}
        self._lock = asyncio.Lock()

    def today(self) -> str:
        return puzzle_day(self.clock())

    async def puzzle(self, day: str) -> Puzzle:
        """The puzzle of ``day``, generated on first use; the two newest days are kept."""
        async with self._lock:
            if day not in self._puzzles:
                self._puzzles[day] = await asyncio.to_thread(self._generate, day)
                for old_day in sorted(self._puzzles)[:-KEPT_PUZZLES]:
                    del self._puzzles[old_day]
            return self._puzzles[day]

    def _generate(self, day: str) -> Puzzle:
        """The day's puzzle from a list read for it (blocking: in a thread), whose memory is
        given back to the system once it is dropped."""
        puzzle = self.words().generate(day)
        give_back_freed_heap()
        return puzzle

    async def progress(self, guild_id: int, day: str | None = None) -> Progress:
        day = day or self.today()
        puzzle = await self.puzzle(day)
        return Progress(day, puzzle, tuple(await self.store.finds(guild_id, day)))

    async def contributions(self, guild_id: int) -> list[Contribution]:
        """Today's finders in the guild, most points first (then most words, then earliest)."""
        progress = await self.progress(guild_id)
        by_user = await self.store.finds_by_user(guild_id, progress.day)
        ranking = [
            Contribution(
                user_id,
                len(words),
                progress.puzzle.score(words),
                len(progress.puzzle.pangrams & set(words)),
            )
            for user_id, words in by_user.items()
        ]
        return sorted(ranking, key=lambda entry: (-entry.points, -entry.words))

    async def open_in(self, guild_id: int, channel_id: int, user_id: int) -> Progress:
        """Make ``channel_id`` the puzzle channel and return today's progress."""
        await self.store.set_channel(guild_id, channel_id, user_id)
        return await self.progress(guild_id)

    async def channel_of(self, guild_id: int) -> int | None:
        return await self.store.channel_of(guild_id)

    def known_channel(self, guild_id: int) -> PuzzleChannel | None:
        """The puzzle channel if this process knows it without awaiting (see ``BeeStore``)."""
        return self.store.known_channel(guild_id)

    async def submit(
        self, guild_id: int, user_id: int, text: str, *, channel_id: int | None = None
    ) -> Answer:
        """Judge a word for the guild; a scoring word is recorded and rewarded at once."""
        word = normalise_guess(text)
        if not word or len(word) > MAX_GUESS_LENGTH or " " in word:
            raise UserError(f"Send one word of 4 to {MAX_GUESS_LENGTH} letters.")
        now = self.clock()
        before = await self.progress(guild_id, puzzle_day(now))
        puzzle = before.puzzle
        verdict = puzzle.judge(word, before.words)
        if not verdict.scores:
            return Answer(word, verdict, 0, before, before.rank)
        points = word_score(word)
        found = FoundWord(
            guild_id=guild_id,
            puzzle_day=before.day,
            word=word,
            user_id=user_id,
            points=points,
            pangram=verdict is Verdict.PANGRAM,
            genius_score=rank_threshold(GENIUS, puzzle.max_score),
            queen_bee_score=rank_threshold(QUEEN_BEE, puzzle.max_score),
        )
        recorded = await self.store.record_find(found, now)
        if recorded is None:
            return Answer(word, Verdict.ALREADY_FOUND, 0, before, before.rank)
        level_ups: tuple[LevelUp, ...] = ()
        if self.rewards is not None:
            level_ups = await self.rewards.report(
                user_id,
                points,
                pangram=found.pangram,
                streak=recorded.stats.current_streak if recorded.first_of_day else None,
                guild_id=guild_id,
                channel_id=channel_id,
            )
        after = await self.progress(guild_id, before.day)
        return Answer(word, verdict, points, after, before.rank, level_ups)

    async def stats(self, guild_id: int, user_id: int) -> PuzzleStats:
        """A member's all-time puzzle record in the guild."""
        return await self.store.stats(guild_id, user_id)

    async def all_time_leaderboard(self, guild_id: int, size: int) -> list[tuple[int, PuzzleStats]]:
        """The guild's best puzzle players of all time, most points first."""
        return await self.store.leaderboard(guild_id, size)

    def shuffle(self, puzzle: Puzzle) -> str:
        return shuffled_outer(puzzle, random.Random())  # noqa: S311  (a game, not a secret)

    async def daily_zone(self, guild_id: int) -> ZoneInfo:
        """The guild's time zone for the daily post (UTC unless set)."""
        return stored_zone(await self.store.timezone_of(guild_id))

    async def daily_time_for(self, guild_id: int, at: str | None, zone: str | None) -> time | None:
        """The daily time ``/bee daily`` asks for; None (stop the post) when given neither.

        ``at`` is read in ``zone`` (an IANA name already checked), else in the guild's zone;
        a zone alone moves the current daily post to it, at the same wall-clock time.
        """
        clock_zone = stored_zone(zone) if zone is not None else await self.daily_zone(guild_id)
        if at is not None:
            return parse_daily_time(at, clock_zone)
        if zone is None:
            return None
        post = await self.store.daily_of(guild_id)
        if post is None:
            raise UserError(
                f"Say when too: `/bee daily at: 08:30 timezone: {zone}` posts the puzzle every "
                "day at 08:30 there."
            )
        return parse_daily_time(post.daily_time, clock_zone)

    async def set_daily(
        self, guild_id: int, channel_id: int, user_id: int, at: time | None
    ) -> datetime | None:
        """Post the puzzle in ``channel_id`` every day at ``at`` in its zone (None: stop).

        The zone becomes the guild's; returns the moment of the next post.
        """
        if at is not None and self.scheduler is None:
            raise UserError("Daily posts are not available on this bot right now.")
        await self.store.set_channel(guild_id, channel_id, user_id)
        if at is None:
            await self.store.set_daily(guild_id, None, None, await self.store.timezone_of(guild_id))
            log.info("guild %d turned its daily spelling bee post off", guild_id)
            return None
        daily_time, zone = at.strftime("%H:%M"), zone_of(at).key
        post = DailyPost(guild_id, channel_id, daily_time, secrets.token_hex(8), zone)
        await self.store.set_daily(guild_id, daily_time, post.daily_key, zone)
        log.info("guild %d posts the spelling bee daily at %s %s", guild_id, daily_time, zone)
        return await self._arm(post)

    async def _arm(self, post: DailyPost) -> datetime | None:
        """Schedule the post's next timer; None (nothing armed) on a bot without a scheduler."""
        if self.scheduler is None:
            return None
        at = parse_daily_time(post.daily_time, stored_zone(post.timezone))
        when = next_post_at(at, self.clock())
        payload = {"guild_id": post.guild_id, "key": post.daily_key}
        await self.scheduler.schedule(when, DAILY_EVENT, payload)
        return when

    async def rearm_daily(self) -> int:
        """Give every daily post a fresh timer (at start, or retried later); older timers
        become stale. A post an administrator changed since it was read keeps their change
        and the timer it armed. Returns the posts re-armed."""
        if self.scheduler is None:
            return 0
        rearmed = 0
        for post in await self.store.daily_posts():
            key = secrets.token_hex(8)
            if await self.store.rekey_daily(post.guild_id, post.daily_key, key):
                await self._arm(
                    DailyPost(post.guild_id, post.channel_id, post.daily_time, key, post.timezone)
                )
                rearmed += 1
        return rearmed

    async def daily_due(self, payload: Mapping[str, Any]) -> tuple[int, Progress] | None:
        """A daily timer fired: the channel and progress to post, with the next post armed.

        None for a stale timer (the time was changed or turned off since).
        """
        guild_id = payload.get("guild_id")
        if not isinstance(guild_id, int):
            log.warning("ignoring a spelling bee daily timer without a guild: %r", payload)
            return None
        post = await self.store.daily_of(guild_id)
        if post is None or post.daily_key != payload.get("key"):
            return None
        await self._arm(post)
        return post.channel_id, await self.progress(guild_id)
