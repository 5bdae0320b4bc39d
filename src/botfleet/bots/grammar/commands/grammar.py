"""``/grammar``: check a text, the "Check grammar" message menu, auto-check channels, the
daily tip and quiz, and stats.

Thin: the checker, the store and the AI tutor hold the rules; every problem a member can fix
comes back as a :class:`~botfleet.errors.UserError` and is answered privately by the bot base.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import ensure_bot_can, requires_permission
from botfleet.bots.grammar.services.autocheck import AutoCheckChannels, CheckRecorder
from botfleet.bots.grammar.services.checker import CheckResult, GrammarChecker
from botfleet.bots.grammar.services.daily import DailyPosts, DailySchedule
from botfleet.bots.grammar.services.issues import Category, Strictness
from botfleet.bots.grammar.services.lessons import Lessons
from botfleet.bots.grammar.services.quiz import QuizRecord, QuizService
from botfleet.bots.grammar.services.review import Review
from botfleet.bots.grammar.services.store import GrammarStore, MemberStats, Tally
from botfleet.bots.grammar.services.validation import validate_check_text
from botfleet.bots.grammar.views.quiz import practice_view, question_embed, record_line
from botfleet.bots.grammar.views.result import ResultView, result_embed
from botfleet.core.answers import TimelyAnswer, answer_in_time
from botfleet.core.option_limits import limit_text_option
from botfleet.errors import UserError
from botfleet.services.ai.service import AIService
from botfleet.utils.helpers import create_embed
from botfleet.utils.places import server_of
from botfleet.utils.timezones import search_zones
from botfleet.utils.wording import plural

SERVER_ONLY: Final = "This is set up in a server, not in direct messages."

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

COG_NAME: Final = "Grammar"
MENU_NAME: Final = "Check grammar"
GRAMMAR_CHECK: Final = "grammar check"
"""What a slow check is called in the note that its answer is coming."""
NO_PINGS: Final = discord.AllowedMentions.none()
NEEDED_PERMISSIONS: Final = ("view_channel", "read_message_history", "add_reactions")
POST_PERMISSIONS: Final = ("view_channel", "send_messages", "embed_links")
QUIZ_FIELD: Final = "Daily quiz"


def _role_ids(user: discord.abc.User) -> tuple[int, ...]:
    return tuple(role.id for role in user.roles) if isinstance(user, discord.Member) else ()


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _per_check(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def trend(this_week: Tally, last_week: Tally) -> str:
    """This week against the last, in words: fewer issues per check is better."""
    now, before = this_week.issues_per_check, last_week.issues_per_check
    lines = [
        f"**This week:** {plural(this_week.checks, 'check')}, {_per_check(now)} issues per "
        f"check, {_rate(this_week.clean_rate)} clean",
        f"**Last week:** {plural(last_week.checks, 'check')}, {_per_check(before)} issues per "
        f"check, {_rate(last_week.clean_rate)} clean",
    ]
    if now is None or before is None:
        lines.append("Check texts two weeks in a row to see how you improve.")
    elif now < before:
        lines.append("📈 Fewer mistakes than last week — well done!")
    elif now > before:
        lines.append("More mistakes than last week — the explanations can help.")
    else:
        lines.append("As many mistakes per check as last week.")
    return "\n".join(lines)


def stats_embed(name: str, stats: MemberStats, quiz: QuizRecord, color: int) -> discord.Embed:
    """A member's record: totals, issues by category, this week against the last, the quiz."""
    total = stats.all_time
    title = f"📊 {name} — grammar progress"
    quiz_field = (QUIZ_FIELD, record_line(quiz), False)
    if total.checks == 0:
        fields = [quiz_field] if quiz.answered else None
        return create_embed(title, "No checks yet — try /grammar check.", color, fields)
    categories = "\n".join(
        f"{category.label}: {total.issues[category]}"
        for category in Category
        if total.issues.get(category)
    )
    since = f"Since {stats.first_day.isoformat()}" if stats.first_day else None
    fields = [
        ("Checks", str(total.checks), True),
        ("Clean checks", f"{total.clean_checks} ({_rate(total.clean_rate)})", True),
        ("Issues found", str(total.total_issues), True),
        ("Issues by category", categories or "None — every check was clean!", False),
        ("Improvement", trend(stats.this_week, stats.last_week), False),
    ]
    if quiz.answered:
        fields.append(quiz_field)
    return create_embed(title, None, color, fields, since)


def schedule_text(schedule: DailySchedule, channel_mention: str) -> str:
    """Where and when the daily post goes, and when the next one is."""
    at = schedule.post_time.strftime("%H:%M")
    upcoming = schedule.next_post_at
    return (
        f"📅 Every day at **{at}** ({schedule.timezone}) in {channel_mention}: a grammar tip "
        f"and a quiz question. Next one {discord.utils.format_dt(upcoming, 'F')} "
        f"({discord.utils.format_dt(upcoming, 'R')})."
    )


STRICTNESS_CHOICES: Final = [
    app_commands.Choice(name=level.value, value=level.value) for level in Strictness
]
"""The levels as members read them (discord.py would show the enum's upper-case names)."""


class GrammarCommands(commands.Cog, name=COG_NAME):
    """Grammar checks on demand, auto-check channels, and members' progress."""

    grammar = app_commands.Group(
        name="grammar", description="Check your English: grammar, spelling and punctuation."
    )
    autocheck = app_commands.Group(
        name="autocheck",
        description="Channels where the bot checks every message quietly (admins).",
        parent=grammar,
    )
    daily = app_commands.Group(
        name="daily",
        description="A grammar tip and a quiz question posted every day (admins).",
        parent=grammar,
    )

    def __init__(
        self,
        bot: FleetBot,
        *,
        checker: GrammarChecker,
        ai: AIService,
        store: GrammarStore,
        channels: AutoCheckChannels,
        recorder: CheckRecorder,
        posts: DailyPosts,
        quiz: QuizService,
        lessons: Lessons,
    ) -> None:
        self.bot = bot
        self.checker = checker
        self.ai = ai
        self.store = store
        self.channels = channels
        self.recorder = recorder
        self.posts = posts
        self.quiz = quiz
        self.lessons = lessons
        self.random = random.Random()  # noqa: S311  (picking a practice question, not a secret)
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.check_message_menu)
        limit_text_option(
            self, "grammar check", "text", max_length=checker.options.max_check_length
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        await self.checker.close()
        await self.ai.close()

    @property
    def color(self) -> int:
        return self.bot.settings.colors.primary

    # --- Checking ---------------------------------------------------------------------------

    def _answer_in_time(
        self, interaction: discord.Interaction[Any], *, ephemeral: bool = False
    ) -> TimelyAnswer:
        """The check's timely answer, acknowledged at once while the engines still load.

        Loading holds the GIL in long C stretches (a dictionary parsed, a model read, a full
        garbage collection), longer on a busy machine, and each turn of the event loop waits
        for one: an acknowledgement left until the grace (1.5 s) then missed Discord's 3 s.
        """
        answer = answer_in_time(interaction, GRAMMAR_CHECK, ephemeral=ephemeral)
        if not self.checker.loaded:
            answer.grace = 0.0
        return answer

    async def _check(self, text: str) -> CheckResult:
        """Check ``text`` once the engines are loaded; a text that cannot be checked raises.

        Run it inside the command's :func:`answer_in_time`: the engines still loading after a
        start, or a remote engine (LanguageTool), may take longer than Discord's three seconds.
        """
        options = self.checker.options
        await self.checker.wait_until_loaded()
        validate_check_text(
            text,
            max_length=options.max_check_length,
            language=options.language,
            vocabulary=self.checker.vocabulary,
        )
        return await self.checker.check_text(text)

    async def _show(
        self, interaction: discord.Interaction[Any], answer: TimelyAnswer, result: CheckResult
    ) -> None:
        review = Review(result)
        view = ResultView(review, owner_id=interaction.user.id, color=self.color, ai=self.ai)
        embed = result_embed(review, self.color, ai_review_offered=view.offers_ai_review)
        await answer.send(embed=embed, view=view if view.has_items else None)
        if view.has_items:
            view.shown_by = interaction
        else:
            view.stop()

    @grammar.command(name="check", description="Check a text for grammar, spelling and style.")
    @app_commands.describe(text="The text to check")
    async def check(self, interaction: discord.Interaction[FleetBot], text: str) -> None:
        async with self._answer_in_time(interaction) as answer:
            result = await self._check(text)
            await self.recorder.record(
                result,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                role_ids=_role_ids(interaction.user),
            )
            await self._show(interaction, answer, result)

    async def check_message_menu(
        self, interaction: discord.Interaction[FleetBot], message: discord.Message
    ) -> None:
        """The "Check grammar" message menu: a private check of any message.

        Not counted in stats: the message may be someone else's, and an auto-checked message
        is counted once already.
        """
        if not message.content.strip():
            raise UserError("That message has no text to check — only attachments or embeds.")
        async with self._answer_in_time(interaction, ephemeral=True) as answer:
            result = await self._check(message.content)
            await self._show(interaction, answer, result)

    # --- Auto-check channels ----------------------------------------------------------------

    def _target(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None
    ) -> discord.TextChannel | discord.Thread:
        if channel is not None:
            return channel
        current = interaction.channel
        if not isinstance(current, discord.TextChannel | discord.Thread):
            raise UserError("Pick a text channel to check.")
        return current

    @autocheck.command(name="enable", description="Check every message of a channel quietly.")
    @app_commands.describe(
        channel="The channel to check (this one if empty)",
        strictness="relaxed: spelling and grammar; normal: also punctuation and word choice; "
        "strict: everything",
    )
    @app_commands.choices(strictness=STRICTNESS_CHOICES)
    @requires_permission("admin")
    async def autocheck_enable(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel | None = None,
        strictness: str | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        target = self._target(interaction, channel)
        ensure_bot_can(target, NEEDED_PERMISSIONS, "check messages")
        level = Strictness(strictness) if strictness else self.checker.options.auto_check_strictness
        await self.channels.enable(guild.id, target.id, level, interaction.user.id)
        await interaction.response.send_message(
            f"📝 Auto-check is on in {target.mention} ({level.value}). I'll add a 📝 reaction "
            f"to messages with issues; members see the details with the “{MENU_NAME}” menu.",
            ephemeral=True,
        )

    @autocheck.command(name="disable", description="Stop checking a channel's messages.")
    @app_commands.describe(channel="The channel to stop checking (this one if empty)")
    @requires_permission("admin")
    async def autocheck_disable(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        target = self._target(interaction, channel)
        if not await self.channels.disable(guild.id, target.id, interaction.user.id):
            raise UserError(f"Auto-check is not on in {target.mention}.")
        await interaction.response.send_message(
            f"Auto-check is off in {target.mention}.", ephemeral=True
        )

    @autocheck.command(name="list", description="The channels whose messages are checked.")
    @requires_permission("admin")
    async def autocheck_list(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        enabled = await self.channels.list(guild.id)
        if not enabled:
            description = "No channel is auto-checked. Turn one on with /grammar autocheck enable."
        else:
            description = "\n".join(
                f"<#{channel.channel_id}> — {channel.strictness.value}"
                + (f", by <@{channel.enabled_by}>" if channel.enabled_by else "")
                + f" {discord.utils.format_dt(channel.enabled_at, 'R')}"
                for channel in enabled
            )
        embed = create_embed("📝 Auto-check channels", description, self.color)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    # --- Progress --------------------------------------------------------------------------

    @grammar.command(name="stats", description="Checks, mistakes by kind, and progress.")
    @app_commands.describe(member="Whose progress to show (yours if empty)")
    async def stats(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        who: discord.abc.User = member or interaction.user
        if who.bot:
            raise UserError("Bots don't write texts to check — pick a member instead.")
        stats = await self.store.member_stats(who.id, interaction.guild_id)
        quiz = await self.quiz.record(who.id, interaction.guild_id)
        embed = stats_embed(who.display_name, stats, quiz, self.color)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)

    # --- The daily tip and quiz ------------------------------------------------------------

    @daily.command(name="set", description="Post a grammar tip and a quiz question every day.")
    @app_commands.describe(
        channel="Where to post them",
        time="The time of day, HH:MM on the 24-hour clock (for example 09:00)",
        timezone="The server's time zone, such as Europe/Paris (UTC if empty)",
    )
    @requires_permission("admin")
    async def daily_set(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        ensure_bot_can(channel, POST_PERMISSIONS, "post the daily tip")
        schedule = await self.posts.set(guild.id, channel.id, time, timezone, interaction.user.id)
        await interaction.response.send_message(
            schedule_text(schedule, channel.mention), ephemeral=True
        )

    @daily_set.autocomplete("timezone")
    async def zone_choices(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name)
            for name in search_zones(current, self.posts.zones)
        ]

    @daily.command(name="off", description="Stop the daily grammar tip and quiz.")
    @requires_permission("admin")
    async def daily_off(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        if await self.posts.disable(guild.id, interaction.user.id) is None:
            raise UserError("There is no daily grammar post here. Set one with /grammar daily set.")
        await interaction.response.send_message(
            "The daily grammar tip and quiz are off. Earlier questions can still be answered.",
            ephemeral=True,
        )

    @daily.command(name="show", description="When and where the daily tip and quiz are posted.")
    @requires_permission("admin")
    async def daily_show(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        schedule = await self.posts.get(guild.id)
        if schedule is None:
            text = "There is no daily grammar post here. Set one with /grammar daily set."
        else:
            text = schedule_text(schedule, f"<#{schedule.channel_id}>")
        await interaction.response.send_message(text, ephemeral=True)

    @grammar.command(name="quiz", description="A practice question, just for you.")
    async def quiz_now(self, interaction: discord.Interaction[FleetBot]) -> None:
        question = self.lessons.practice_question(self.random)
        await interaction.response.send_message(
            embed=question_embed(question, self.color),
            view=practice_view(question),
            ephemeral=True,
        )
