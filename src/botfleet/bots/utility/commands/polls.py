"""``/poll create|end|results`` and the vote buttons, whose rules live in ``services/polls.py``;
``/poll native`` for Discord's own polls, which Discord counts and closes itself."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, resolve_level
from botfleet.bots.utility.services.polls import (
    ANSWER_EXAMPLE,
    ANSWER_SEPARATOR,
    NewPoll,
    PollError,
    PollService,
    Vote,
    split_answers,
)
from botfleet.bots.utility.services.when import MAX_WHEN_LENGTH
from botfleet.bots.utility.views.polls import (
    COG_NAME,
    PollDisplay,
    VoteButton,
    chart_file,
    results_embed,
)
from botfleet.core.answers import answer_in_time
from botfleet.core.errors import handle_interaction_error, reply_ephemeral
from botfleet.core.option_limits import StoredNumber, limit_text_option
from botfleet.errors import UserError
from botfleet.utils.helpers import truncate_string
from botfleet.utils.places import server_id_of

SERVER_ONLY: Final = "Polls run in a server's channels."

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

ENDS_HELP: Final = "When it closes, in your time zone: 1h, in 2d, friday 18:00 (default: a day)"
NATIVE_QUESTION_LIMIT: Final = 300
NATIVE_ANSWER_LIMIT: Final = 55
NATIVE_MAX_HOURS: Final = 768
NATIVE_DEFAULT_HOURS: Final = 24
"""Discord's own limits for native polls: question and answer lengths, hours (32 days)."""


def _quoted(answers: list[str]) -> str:
    return ", ".join(f"“{truncate_string(answer, 60)}”" for answer in answers)


def vote_receipt(vote: Vote) -> str:
    """What a voter is told privately after a press."""
    poll = vote.poll
    chosen = vote.chosen
    if not chosen:
        text = "You took back your vote." if not poll.multiple_choice else "You chose no answer."
    elif poll.multiple_choice:
        text = f"🗳️ Your answers: {_quoted(chosen)}."
        if poll.allow_change:
            text += " Press an answer again to take it back."
    else:
        text = f"🗳️ You voted for {_quoted(chosen)}."
        if poll.allow_change:
            text += " Press another answer to change it, or the same one to take it back."
    if poll.anonymous:
        text += "\n-# This poll is anonymous: nobody sees who voted for what."
    return text


class PollCommands(commands.Cog, name=COG_NAME):
    """Button polls: anonymous or not, changeable votes, one or many answers, a results chart."""

    poll = app_commands.Group(
        name="poll", description="Ask the server a question with buttons.", guild_only=True
    )

    def __init__(self, bot: FleetBot, service: PollService, display: PollDisplay) -> None:
        self.bot = bot
        self.service = service
        self.display = display
        limit_text_option(
            self,
            "poll create",
            "question",
            max_length=service.options.max_poll_question_length,
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)
        await self.display.close()

    @poll.command(name="create", description="Start a poll members answer with buttons.")
    @app_commands.describe(
        question="What you are asking.",
        answers=f"2 to 10 answers separated by {ANSWER_SEPARATOR}, e.g. {ANSWER_EXAMPLE}",
        ends=ENDS_HELP,
        anonymous="Hide who voted for what, from everyone (counts stay visible).",
        change_votes="Let members change or take back their vote (default: yes).",
        multiple_choice="Let members choose several answers.",
    )
    async def create(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        question: str,
        answers: app_commands.Range[str, 1, 1000],
        ends: app_commands.Range[str, 1, MAX_WHEN_LENGTH] | None = None,
        anonymous: bool = False,
        change_votes: bool = True,
        multiple_choice: bool = False,
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        channel_id = interaction.channel_id
        assert channel_id is not None  # every slash command comes from a channel
        poll = await self.service.create(
            NewPoll(
                guild_id=guild_id,
                channel_id=channel_id,
                creator_id=interaction.user.id,
                question=question,
                answers=answers,
                ends=ends,
                anonymous=anonymous,
                allow_change=change_votes,
                multiple_choice=multiple_choice,
            )
        )
        await self.display.post(interaction, poll)

    @poll.command(name="native", description="Start one of Discord's own polls.")
    @app_commands.describe(
        question=f"What you are asking (up to {NATIVE_QUESTION_LIMIT} characters).",
        answers=(
            f"2 to 10 answers separated by {ANSWER_SEPARATOR}, each up to "
            f"{NATIVE_ANSWER_LIMIT} characters, e.g. {ANSWER_EXAMPLE}"
        ),
        hours=f"How many hours it runs, 1 to {NATIVE_MAX_HOURS} (default: {NATIVE_DEFAULT_HOURS}).",
        multiple_choice="Let members choose several answers.",
    )
    async def native(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        question: app_commands.Range[str, 1, NATIVE_QUESTION_LIMIT],
        answers: app_commands.Range[str, 1, 1000],
        hours: app_commands.Range[int, 1, NATIVE_MAX_HOURS] = NATIVE_DEFAULT_HOURS,
        multiple_choice: bool = False,
    ) -> None:
        """Post a Discord poll: checked against Discord's limits here, so a mistake gets a
        clear answer instead of Discord's refusal."""
        server_id_of(interaction, SERVER_ONLY)
        text = question.strip()
        if not text:
            raise PollError("Please write the poll's question.")
        poll = discord.Poll(text, datetime.timedelta(hours=hours), multiple=multiple_choice)
        for answer in split_answers(answers, NATIVE_ANSWER_LIMIT):
            poll.add_answer(text=answer)
        await interaction.response.send_message(poll=poll)
        log.info(
            "native poll of %d answers for %d hours started by %d in channel %s",
            len(poll.answers),
            hours,
            interaction.user.id,
            interaction.channel_id,
        )

    @poll.command(name="end", description="End a poll now and post its results.")
    @app_commands.describe(poll="The poll (start typing its number or question).")
    async def end(self, interaction: discord.Interaction[FleetBot], poll: StoredNumber) -> None:
        moderator = await resolve_level(self.bot, interaction.user) >= PermissionLevel.MODERATOR
        ended = await self.service.end(
            server_id_of(interaction, SERVER_ONLY), poll, interaction.user.id, moderator=moderator
        )
        await interaction.response.send_message(
            f"🔒 Poll #{ended.id} has ended; its results are posted under it.", ephemeral=True
        )
        await self.display.announce_end(ended)

    @poll.command(name="results", description="See a poll's results and chart (only you).")
    @app_commands.describe(poll="The poll (start typing its number or question).")
    async def results(self, interaction: discord.Interaction[FleetBot], poll: StoredNumber) -> None:
        found = await self.service.get(server_id_of(interaction, SERVER_ONLY), poll)
        async with answer_in_time(interaction, "poll results", ephemeral=True) as answer:
            tally = await self.service.tally(found.id, with_voters=True)
            await answer.send(
                embed=results_embed(tally, self.bot.settings.colors.primary),
                files=[await chart_file(tally)],
                allowed_mentions=discord.AllowedMentions.none(),
            )

    @end.autocomplete("poll")
    @results.autocomplete("poll")
    async def poll_choices(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[int]]:
        """This server's polls, open ones first."""
        if interaction.guild_id is None:
            return []
        polls = await self.service.search(interaction.guild_id, current)
        return [
            app_commands.Choice(
                name=truncate_string(
                    f"#{poll.id} {poll.question}" + ("" if poll.is_open else " (ended)"), 100
                ),
                value=poll.id,
            )
            for poll in polls
        ]

    async def press_vote(
        self, interaction: discord.Interaction[Any], poll_id: int, answer: int
    ) -> None:
        """A vote button was pressed: count it, tell the voter, redraw the counts soon."""
        try:
            if interaction.guild_id is None:
                raise UserError("Polls live in servers; vote in the poll's channel.")
            vote = await self.service.vote(
                poll_id, interaction.user.id, answer, guild_id=interaction.guild_id
            )
        except UserError as problem:
            log.info("vote of %d in poll %d refused: %s", interaction.user.id, poll_id, problem)
            await reply_ephemeral(interaction, problem.message)
            return
        except Exception as error:
            await handle_interaction_error(interaction, error)
            return
        self.display.refresh_soon(poll_id)
        await reply_ephemeral(interaction, vote_receipt(vote))
