"""The daily post going out when its alarm rings, and members answering its question.

The post is claimed first (:meth:`DailyPosts.claim`), then sent: "late but once". A channel the
bot can no longer reach is logged for the operator and the schedule goes on to the next day,
so an admin fixing the permissions gets the next post without doing anything.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from botfleet.bots.grammar.services.daily import DailyPost, DailyPosts
from botfleet.bots.grammar.services.lessons import Lessons
from botfleet.bots.grammar.services.quiz import QuizError, QuizService, practice_verdict
from botfleet.bots.grammar.views.quiz import (
    QUIZ_COG_NAME,
    DailyAnswerButton,
    PracticeAnswerButton,
    daily_embeds,
    daily_view,
    practice_view,
    question_embed,
    verdict_text,
)
from botfleet.core.errors import handle_interaction_error
from botfleet.services.scheduler import ScheduledTimer

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class QuizEvents(commands.Cog, name=QUIZ_COG_NAME):
    """Sends daily posts, re-makes lost alarms at start, and takes answers to the quiz."""

    def __init__(
        self, bot: FleetBot, posts: DailyPosts, quiz: QuizService, lessons: Lessons
    ) -> None:
        self.bot = bot
        self.posts = posts
        self.quiz = quiz
        self.lessons = lessons
        # Answers to one post edit its counts one at a time, so the last edit shows the most;
        # a lock lives only while an edit holds or awaits it.
        self._post_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @property
    def color(self) -> int:
        return self.bot.settings.colors.primary

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DailyAnswerButton, PracticeAnswerButton)
        await self.bot.before_timers_start(
            self, "restoring the daily grammar posts' timers", self.posts.restore_timers
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DailyAnswerButton, PracticeAnswerButton)

    @commands.Cog.listener()
    async def on_grammar_daily_timer_complete(self, timer: ScheduledTimer) -> None:
        guild_id = timer.payload.get("guild_id")
        due_text = timer.payload.get("due_at")
        if not isinstance(guild_id, int) or not isinstance(due_text, str):
            log.error("daily grammar timer %d has a malformed payload %r", timer.id, timer.payload)
            return
        post = await self.posts.claim(guild_id, datetime.fromisoformat(due_text))
        if post is not None:
            await self.send(post)

    async def send(self, post: DailyPost) -> discord.Message | None:
        """Send a claimed post to its channel; None when the channel is closed to the bot."""
        try:
            channel = self.bot.get_channel(post.channel_id) or await self.bot.fetch_channel(
                post.channel_id
            )
            if not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "daily grammar post %d: channel %d takes no messages", post.id, post.channel_id
                )
                return None
            message = await channel.send(
                embeds=daily_embeds(
                    post.tip, post.question, (0,) * len(post.question.choices), self.color
                ),
                view=daily_view(post.id, post.question),
            )
        except discord.HTTPException as error:
            log.warning(
                "daily grammar post %d of guild %d could not be sent to channel %d: %s",
                post.id,
                post.guild_id,
                post.channel_id,
                error,
            )
            return None
        await self.posts.attach_message(post.id, message.id)
        log.info("sent daily grammar post %d to guild %d (%s)", post.id, post.guild_id, post.day)
        return message

    async def answer_daily(
        self, interaction: discord.Interaction[Any], post_id: int, choice: int
    ) -> None:
        user = interaction.user
        roles = user.roles if isinstance(user, discord.Member) else []
        try:
            verdict = await self.quiz.answer(
                post_id,
                user.id,
                choice,
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id or 0,  # outside a server: no post's
                role_ids=[role.id for role in roles],
            )
        except QuizError as error:
            await handle_interaction_error(interaction, error)
            return
        await interaction.response.send_message(verdict_text(verdict), ephemeral=True)
        if interaction.message is not None:
            await self._show_counts(interaction.message, post_id)

    async def _show_counts(self, message: discord.Message, post_id: int) -> None:
        lock = self._post_locks.setdefault(post_id, asyncio.Lock())
        async with lock:
            post = await self.quiz.post(post_id)
            counts = await self.quiz.counts(post_id, post.question)
            try:
                await message.edit(embeds=daily_embeds(post.tip, post.question, counts, self.color))
            except discord.HTTPException as error:
                log.info("could not update the counts of daily post %d: %s", post_id, error)

    async def answer_practice(
        self, interaction: discord.Interaction[Any], question_id: str, choice: int
    ) -> None:
        question = self.lessons.question(question_id)
        try:
            if question is None:
                raise QuizError("That question is no longer in the quiz — ask for another one.")
            verdict = practice_verdict(question, choice)
        except QuizError as error:
            await handle_interaction_error(interaction, error)
            return
        await interaction.response.edit_message(
            content=verdict_text(verdict),
            embed=question_embed(question, self.color),
            view=practice_view(question, answered=choice),
        )
