"""The Spelling Bee's puzzle mode: today's puzzle, a guild's progress, and judging answers.

Everything here is Discord-free: the commands and the message listener translate. The puzzle
of a day is generated once per process (in a thread, as it is CPU work) and kept.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from botfleet.bots.spelling_bee.services.puzzle import (
    Puzzle,
    Rank,
    Verdict,
    WordList,
    next_rank,
    normalise_guess,
    rank_for,
    shuffled_outer,
    word_score,
)
from botfleet.bots.spelling_bee.services.rewards import RewardReporter
from botfleet.bots.spelling_bee.services.store import BeeStore, DailyPost, Find
from botfleet.database.base import Database
from botfleet.errors import UserError
from botfleet.gamification import LevelUp
from botfleet.services.scheduler import Scheduler

log = logging.getLogger(__name__)

MAX_GUESS_LENGTH: Final = 20
KEPT_PUZZLES: Final = 2
"""Puzzles kept in memory (today's and the day before), so the cache never grows."""
DAILY_EVENT: Final = "spelling_bee_daily"
"""Handled as ``on_spelling_bee_daily_timer_complete``."""
_CLOCK_TIME: Final = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def puzzle_day(moment: datetime) -> str:
    """The seed of the puzzle played at ``moment``: its UTC day."""
    return moment.astimezone(UTC).date().isoformat()


def parse_daily_time(text: str) -> time:
    """``HH:MM`` on a 24-hour clock (UTC), as members type it."""
    match = _CLOCK_TIME.fullmatch(text.strip())
    if match is None:
        raise UserError("Give the time as HH:MM on a 24-hour clock in UTC, like 08:30.")
    return time(int(match[1]), int(match[2]), tzinfo=UTC)


def next_post_at(at: time, now: datetime) -> datetime:
    """The first moment after ``now`` when the clock shows ``at`` (UTC)."""
    today = datetime.combine(now.astimezone(UTC).date(), at.replace(tzinfo=UTC))
    return today if today > now else today + timedelta(days=1)


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
        words: WordList,
        *,
        clock: Clock = utc_now,
        rewards: RewardReporter | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.store = BeeStore(database)
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
                self._puzzles[day] = await asyncio.to_thread(self.words.generate, day)
                for old_day in sorted(self._puzzles)[:-KEPT_PUZZLES]:
                    del self._puzzles[old_day]
            return self._puzzles[day]

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

    async def submit(
        self, guild_id: int, user_id: int, text: str, *, channel_id: int | None = None
    ) -> Answer:
        """Judge a word for the guild; a scoring word is recorded and rewarded at once."""
        word = normalise_guess(text)
        if not word or len(word) > MAX_GUESS_LENGTH or " " in word:
            raise UserError(f"Send one word of 4 to {MAX_GUESS_LENGTH} letters.")
        before = await self.progress(guild_id)
        verdict = before.puzzle.judge(word, before.words)
        if verdict.scores and not await self.store.add_find(guild_id, before.day, word, user_id):
            verdict = Verdict.ALREADY_FOUND
        if not verdict.scores:
            return Answer(word, verdict, 0, before, before.rank)
        points = word_score(word)
        level_ups: tuple[LevelUp, ...] = ()
        if self.rewards is not None:
            level_ups = await self.rewards.report(
                user_id,
                points,
                pangram=verdict is Verdict.PANGRAM,
                guild_id=guild_id,
                channel_id=channel_id,
            )
        after = await self.progress(guild_id, before.day)
        return Answer(word, verdict, points, after, before.rank, level_ups)

    def shuffle(self, puzzle: Puzzle) -> str:
        return shuffled_outer(puzzle, random.Random())  # noqa: S311  (a game, not a secret)

    async def set_daily(
        self, guild_id: int, channel_id: int, user_id: int, at: time | None
    ) -> datetime | None:
        """Post the puzzle in ``channel_id`` every day at ``at`` (None: stop); the next post."""
        if at is not None and self.scheduler is None:
            raise UserError("Daily posts are not available on this bot right now.")
        await self.store.set_channel(guild_id, channel_id, user_id)
        if at is None:
            await self.store.set_daily(guild_id, None, None)
            return None
        daily_time = at.strftime("%H:%M")
        post = DailyPost(guild_id, channel_id, daily_time, secrets.token_hex(8))
        await self.store.set_daily(guild_id, daily_time, post.daily_key)
        return await self._arm(post)

    async def _arm(self, post: DailyPost) -> datetime | None:
        """Schedule the post's next timer; None (nothing armed) on a bot without a scheduler."""
        if self.scheduler is None:
            return None
        when = next_post_at(parse_daily_time(post.daily_time), self.clock())
        payload = {"guild_id": post.guild_id, "key": post.daily_key}
        await self.scheduler.schedule(when, DAILY_EVENT, payload)
        return when

    async def rearm_daily(self) -> int:
        """Give every daily post a fresh timer (at start); older timers become stale."""
        if self.scheduler is None:
            return 0
        posts = await self.store.daily_posts()
        for post in posts:
            fresh = DailyPost(post.guild_id, post.channel_id, post.daily_time, secrets.token_hex(8))
            await self.store.set_daily(post.guild_id, post.daily_time, fresh.daily_key)
            await self._arm(fresh)
        return len(posts)

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
