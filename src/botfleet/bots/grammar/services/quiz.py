"""Answering the daily question: one answer per member, counted, rewarded, kept as a record.

An answer is one INSERT whose primary key (post, member) refuses a second one, so two presses
at once (two devices, two processes) store one answer and the other is told it was late. A
right answer reports the game result ``grammar:quiz_correct``; a member whose run of answered
days reaches a multiple of seven also reports ``grammar:quiz_week`` (achievements watch both).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select

from botfleet.bots.grammar.services.daily import DailyPost, DailyPosts, utcnow
from botfleet.bots.grammar.services.feats import GrammarFeat
from botfleet.bots.grammar.services.lessons import CHOICE_LETTERS, Question
from botfleet.cache import CacheHierarchy
from botfleet.cache.records import MemberRecords
from botfleet.database.base import Database
from botfleet.database.models.grammar import GrammarQuizAnswer
from botfleet.errors import UserError
from botfleet.gamification import GameResult, Gamification

log = logging.getLogger(__name__)

BOT_NAME: Final = "grammar"
STREAK_WEEK: Final = 7


class QuizError(UserError):
    """An answer that cannot be taken; the message says why."""


@dataclass(frozen=True, slots=True)
class QuizRecord:
    """A member's daily-quiz record in one guild."""

    answered: int = 0
    right: int = 0
    streak: int = 0
    """Days in a row, up to today or yesterday, on which they answered the daily question."""
    best_streak: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a member's answer was worth, and how the question stands now."""

    question: Question
    choice: int
    counts: tuple[int, ...]
    """Answers per choice so far, in the order of the choices; empty for practice."""
    record: QuizRecord | None
    """The member's record after this answer; None for practice questions."""

    @property
    def correct(self) -> bool:
        return self.choice == self.question.answer


def streaks(days: Collection[date], today: date) -> tuple[int, int]:
    """The current run of consecutive days ending today or yesterday, and the longest run."""
    ordered = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = run if previous is not None and previous >= today - timedelta(days=1) else 0
    return current, best


def check_choice(question: Question, choice: int) -> None:
    if not 0 <= choice < len(question.choices):
        raise QuizError("That answer is not one of this question's choices.")


def practice_verdict(question: Question, choice: int) -> Verdict:
    """The verdict of an on-demand question: nothing is stored or rewarded."""
    check_choice(question, choice)
    return Verdict(question, choice, (), None)


class QuizService:
    """Takes answers to daily questions and reads members' records."""

    def __init__(
        self,
        database: Database,
        posts: DailyPosts,
        gamification: Gamification,
        *,
        cache: CacheHierarchy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.posts = posts
        self.gamification = gamification
        self.records = MemberRecords(cache, "grammar-quiz")
        """Members' answers in the cache: ``/grammar stats`` reads them with the counts."""
        self._clock = clock

    async def post(self, post_id: int) -> DailyPost:
        post = await self.posts.post(post_id)
        if post is None:
            raise QuizError("This question is no longer available — wait for the next one.")
        return post

    async def answer(
        self,
        post_id: int,
        user_id: int,
        choice: int,
        *,
        channel_id: int | None = None,
        guild_id: int | None = None,
        role_ids: Collection[int] = (),
    ) -> Verdict:
        """Store the member's answer; raises :class:`QuizError` when they answered already,
        or when the post is not of ``guild_id`` (the server the answer button was pressed in:
        the button names its post by a number)."""
        post = await self.post(post_id)
        if guild_id is not None and post.guild_id != guild_id:
            raise QuizError("That button belongs to another server's daily question.")
        question = post.question
        check_choice(question, choice)
        correct = choice == question.answer
        statement = (
            self.database.upsert(GrammarQuizAnswer)
            .values(
                post_id=post_id,
                user_id=user_id,
                guild_id=post.guild_id,
                day=post.day,
                choice=choice,
                correct=correct,
            )
            .on_conflict_do_nothing(
                index_elements=[GrammarQuizAnswer.post_id, GrammarQuizAnswer.user_id]
            )
            .returning(GrammarQuizAnswer.user_id)
        )
        earlier: int | None = None
        async with self.database.session() as session:
            stored = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
            if stored is None:
                earlier = await session.scalar(
                    select(GrammarQuizAnswer.choice).where(
                        GrammarQuizAnswer.post_id == post_id, GrammarQuizAnswer.user_id == user_id
                    )
                )
        if stored is None:
            picked = question.choices[earlier] if earlier is not None else "an answer"
            raise QuizError(
                f"You already answered this question (you picked “{picked}”). "
                "One answer per member — see you at the next one!"
            )
        await self.records.forget(user_id, post.guild_id)
        record = await self.record(user_id, post.guild_id)
        await self._reward(post, user_id, correct, record, channel_id=channel_id, role_ids=role_ids)
        log.info(
            "member %d answered daily question %d (%s): %s",
            user_id,
            post_id,
            question.id,
            "right" if correct else "wrong",
        )
        return Verdict(question, choice, await self.counts(post_id, question), record)

    async def _reward(
        self,
        post: DailyPost,
        user_id: int,
        correct: bool,
        record: QuizRecord,
        *,
        channel_id: int | None,
        role_ids: Collection[int],
    ) -> None:
        feats = [GrammarFeat.QUIZ_CORRECT] if correct else []
        today_counts = record.streak > 0 and post.day >= self._clock().date() - timedelta(days=1)
        if today_counts and record.streak % STREAK_WEEK == 0:
            feats.append(GrammarFeat.QUIZ_WEEK)
        await self.gamification.xp.report_game(
            [GameResult(user_id, feat, role_ids=tuple(role_ids)) for feat in feats],
            guild_id=post.guild_id,
            channel_id=channel_id,
            bot_name=BOT_NAME,
            save_now=False,
        )

    async def counts(self, post_id: int, question: Question) -> tuple[int, ...]:
        """Answers per choice of a daily question so far."""
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(GrammarQuizAnswer.choice, func.count())
                    .where(GrammarQuizAnswer.post_id == post_id)
                    .group_by(GrammarQuizAnswer.choice)
                )
            ).all()
        by_choice = {int(choice): int(count) for choice, count in rows}
        return tuple(by_choice.get(index, 0) for index in range(len(question.choices)))

    async def record(self, user_id: int, guild_id: int | None) -> QuizRecord:
        """A member's quiz record in a guild (empty outside guilds: there is no daily quiz)."""
        if guild_id is None:
            return QuizRecord()

        async def load() -> list[tuple[str, bool]]:
            async with self.database.session() as session:
                found = await session.execute(
                    select(GrammarQuizAnswer.day, GrammarQuizAnswer.correct).where(
                        GrammarQuizAnswer.user_id == user_id,
                        GrammarQuizAnswer.guild_id == guild_id,
                    )
                )
                return [(day.isoformat(), correct) for day, correct in found]

        rows = [
            (date.fromisoformat(day), correct)
            for day, correct in await self.records.read(user_id, guild_id, load)
        ]
        current, best = streaks([day for day, _ in rows], self._clock().astimezone(UTC).date())
        return QuizRecord(len(rows), sum(1 for _, right in rows if right), current, best)


def counts_line(counts: Sequence[int]) -> str:
    """``A 2 · B 0 · C 5`` — how many picked each choice."""
    return " · ".join(f"{CHOICE_LETTERS[index]} {count}" for index, count in enumerate(counts))
