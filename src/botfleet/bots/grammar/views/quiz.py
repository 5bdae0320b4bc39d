"""The daily post's embeds and its answer buttons, which keep working after a restart.

Every answer button is a :class:`discord.ui.DynamicItem` whose ``custom_id`` carries what it
answers: ``grammar:quiz:<post id>:<choice>`` on a daily post, ``grammar:practice:<question
id>:<choice>`` on a question asked with ``/grammar quiz``. The bot registers both classes at
start, so a press on a post made before a restart reaches the quiz cog, which reads the post
from the database.
"""

from __future__ import annotations

from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.grammar.services.lessons import CHOICE_LETTERS, Question, Tip
from botfleet.bots.grammar.services.quiz import QuizRecord, Verdict, counts_line
from botfleet.core.errors import cog_serving
from botfleet.core.persistent import (
    CustomIdFormat,
    PersistentItem,
    digit,
    number,
    text,
)
from botfleet.utils.helpers import create_embed

QUIZ_COG_NAME: Final = "Grammar quiz"
ANSWERS_FIELD: Final = "Answers so far"

Button = discord.ui.Button[discord.ui.View]
CHOICE: Final = digit("choice", 3)
DAILY_ANSWER_ID: Final = CustomIdFormat("grammar", "quiz", number("post", digits=12), CHOICE)
PRACTICE_ANSWER_ID: Final = CustomIdFormat(
    "grammar", "practice", text("question", "[a-z0-9][a-z0-9-]{0,29}"), CHOICE
)


@runtime_checkable
class QuizActions(Protocol):
    """What the answer buttons ask of the quiz cog."""

    async def answer_daily(
        self, interaction: discord.Interaction[Any], post_id: int, choice: int
    ) -> None: ...

    async def answer_practice(
        self, interaction: discord.Interaction[Any], question_id: str, choice: int
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> QuizActions | None:
    """The quiz cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, QUIZ_COG_NAME, QuizActions, "The grammar quiz")


def choice_label(question: Question, choice: int) -> str:
    return f"{CHOICE_LETTERS[choice]}. {question.choices[choice]}"


class DailyAnswerButton(PersistentItem[Button], custom_id=DAILY_ANSWER_ID):
    """One choice of a daily question."""

    def __init__(self, post_id: int, choice: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or CHOICE_LETTERS[choice],
                style=discord.ButtonStyle.secondary,
                custom_id=DAILY_ANSWER_ID.build(post_id, choice),
            )
        )
        self.post_id = post_id
        self.choice = choice

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.answer_daily(interaction, self.post_id, self.choice)


class PracticeAnswerButton(PersistentItem[Button], custom_id=PRACTICE_ANSWER_ID):
    """One choice of a question asked on demand."""

    def __init__(
        self,
        question_id: str,
        choice: int,
        label: str = "",
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or CHOICE_LETTERS[choice],
                style=style,
                custom_id=PRACTICE_ANSWER_ID.build(question_id, choice),
                disabled=disabled,
            )
        )
        self.question_id = question_id
        self.choice = choice

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.answer_practice(interaction, self.question_id, self.choice)


def daily_view(post_id: int, question: Question) -> discord.ui.View:
    """The answer buttons of a daily post."""
    view = discord.ui.View(timeout=None)
    for index in range(len(question.choices)):
        view.add_item(DailyAnswerButton(post_id, index, choice_label(question, index)))
    return view


def practice_view(question: Question, answered: int | None = None) -> discord.ui.View:
    """The buttons of an on-demand question; once answered, coloured and disabled."""
    view = discord.ui.View(timeout=None)
    for index in range(len(question.choices)):
        style = discord.ButtonStyle.secondary
        if answered is not None and index == question.answer:
            style = discord.ButtonStyle.success
        elif answered is not None and index == answered:
            style = discord.ButtonStyle.danger
        view.add_item(
            PracticeAnswerButton(
                question.id,
                index,
                choice_label(question, index),
                style=style,
                disabled=answered is not None,
            )
        )
    return view


def tip_embed(tip: Tip, color: int) -> discord.Embed:
    return create_embed(
        f"💡 Grammar tip: {tip.title}",
        tip.explanation,
        color,
        [("❌ Not this", tip.wrong, True), ("✅ But this", tip.right, True)],
    )


def question_embed(
    question: Question, color: int, counts: tuple[int, ...] | None = None
) -> discord.Embed:
    """The question with its choices; ``counts`` adds how many picked each one."""
    choices = "\n".join(
        f"**{CHOICE_LETTERS[index]}.** {choice}" for index, choice in enumerate(question.choices)
    )
    fields: list[tuple[str, str, bool]] = [("Choices", choices, False)]
    if counts is not None:
        total = sum(counts)
        fields.append((ANSWERS_FIELD, f"{counts_line(counts)} ({total} in all)", False))
    footer = "One answer per member — your verdict is private." if counts is not None else None
    return create_embed(f"❓ Quiz: {question.prompt}", None, color, fields, footer)


def daily_embeds(
    tip: Tip, question: Question, counts: tuple[int, ...], color: int
) -> list[discord.Embed]:
    """The daily post: the tip, then the question with its answer counts."""
    return [tip_embed(tip, color), question_embed(question, color, counts)]


def record_line(record: QuizRecord) -> str:
    """``12 answered, 9 right (75%), 🔥 3 days in a row``."""
    rate = f" ({record.right / record.answered:.0%})" if record.answered else ""
    days = "day" if record.streak == 1 else "days"
    return (
        f"{record.answered} answered, {record.right} right{rate}, "
        f"🔥 {record.streak} {days} in a row (best {record.best_streak})"
    )


def verdict_text(verdict: Verdict) -> str:
    """The private answer to a member's pick: right or not, why, and their record."""
    question = verdict.question
    right = f"**{choice_label(question, question.answer)}**"
    if verdict.correct:
        lines = [f"✅ Right! {right} — {question.explanation}"]
    else:
        picked = choice_label(question, verdict.choice)
        lines = [
            f"❌ Not quite: you picked {picked}; the answer is {right}. {question.explanation}"
        ]
    if verdict.record is not None:
        lines.append(f"-# Your quiz record here: {record_line(verdict.record)}")
    else:
        lines.append("-# Practice question: not counted in your record.")
    return "\n".join(lines)
