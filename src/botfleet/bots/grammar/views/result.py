"""A check's result: the embed listing the issues, and the buttons under it.

Only the member who asked may press the buttons. Paging and applying only redraw the message
from the :class:`~botfleet.bots.grammar.services.review.Review`; "Explain" and the tone menu ask
the AI and answer privately through ``answer_in_time`` (one callback when the AI is quick, a
note when it is slow), and an AI failure is answered privately too, leaving the offline result
as it is.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import discord

from botfleet.bots.grammar.services import tutor
from botfleet.bots.grammar.services.issues import Issue
from botfleet.bots.grammar.services.review import Review
from botfleet.bots.grammar.services.tutor import Tone
from botfleet.core.answers import TimelyAnswer, answer_in_time
from botfleet.core.errors import handle_interaction_error
from botfleet.core.expiring_views import grey_out
from botfleet.services.ai.errors import AIError, AIUnavailableError
from botfleet.services.ai.service import AIService
from botfleet.utils.embeds import chunk_embeds, create_embed, paginate_embeds
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

VIEW_TIMEOUT: Final = 600.0
"""Ten minutes: well inside the 15 minutes an interaction token can edit the answer."""
SHOWN_TEXT_LIMIT: Final = 1800
SPAN_LIMIT: Final = 80
SUGGESTIONS_SHOWN: Final = 3
ISSUE_TEXT_LIMIT: Final = 700
NOT_YOURS: Final = (
    "These buttons belong to the member who asked for this check — use /grammar check or "
    "the “Check grammar” message menu for your own."
)
AI_FALLBACK_NOTE: Final = "The offline check above still stands."
NOTHING_FOUND_TITLE: Final = "🔎 The checker found nothing"
NOTHING_FOUND: Final = (
    "The offline checker found nothing to flag. It misses some mistakes, so this is no "
    "guarantee that the text is correct."
)
AI_REVIEW_OFFER: Final = "Press **AI review** for a second opinion."
AI_REVIEW_LABEL: Final = "AI review"


def quote(text: str) -> str:
    """``text`` as a Discord block quote, its markdown shown as typed."""
    escaped = discord.utils.escape_markdown(truncate_string(text, SHOWN_TEXT_LIMIT))
    return "\n".join(f"> {line}" for line in escaped.splitlines() or [""])


def _issue_field(review: Review, index: int, issue: Issue) -> tuple[str, str, bool]:
    span = discord.utils.escape_markdown(truncate_string(review.span_of(issue), SPAN_LIMIT))
    marker = "▶ " if index == review.current else ""
    name = f"{marker}{index + 1}. {issue.category.label}: “{span}”"
    if issue.suggestions:
        choices = ", ".join(
            f"**{discord.utils.escape_markdown(choice) or '(remove)'}**"
            for choice in issue.suggestions[:SUGGESTIONS_SHOWN]
        )
        fix = f"→ {choices}"
    else:
        fix = "→ no suggestion: fix it by hand"
    applied = " ✅ applied" if index in review.applied else ""
    value = f"{issue.message}\n{fix}{applied}\n*{issue.explanation}*"
    return name, truncate_string(value, ISSUE_TEXT_LIMIT), False


def result_embed(review: Review, color: int, *, ai_review_offered: bool = False) -> discord.Embed:
    """The check on one embed: the text (corrected so far), the page of issues in focus.

    Finding nothing is never praise: the offline engines cannot vouch for a text, so the
    answer says what they did and, when the AI can answer, offers its review.
    """
    count = len(review.issues)
    if count == 0:
        verdict = f"{NOTHING_FOUND} {AI_REVIEW_OFFER}" if ai_review_offered else NOTHING_FOUND
        return create_embed(
            NOTHING_FOUND_TITLE,
            f"{quote(review.result.text)}\n\n{verdict}",
            color,
            footer=_failures_note(review),
        )
    title = f"📝 {plural(count, 'issue')} found"
    label = "**Your text**"
    if review.applied:
        label = f"**Corrected text** ({len(review.applied)} of {count} applied)"
    fields = [_issue_field(review, index, issue) for index, issue in review.page_issues()]
    footer = f"Issue {review.current + 1} of {count} · page {review.page + 1}/{review.page_count}"
    if note := _failures_note(review):
        footer = f"{footer} · {note}"
    return create_embed(title, f"{label}\n{quote(review.corrected_text)}", color, fields, footer)


def _failures_note(review: Review) -> str | None:
    engines = ", ".join(failure.engine for failure in review.result.failures)
    return f"not checked by {engines} (it did not answer)" if engines else None


class ResultView(discord.ui.View):
    """The buttons under a check; the AI items only when the AI service can answer."""

    def __init__(
        self,
        review: Review,
        *,
        owner_id: int,
        color: int,
        ai: AIService | None,
    ) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.review = review
        self.owner_id = owner_id
        self.color = color
        self.ai = ai if ai is not None and ai.available else None
        self.shown_by: discord.Interaction[Any] | None = None
        """The interaction whose answer holds this view, to disable it on timeout."""
        if not review.issues:
            for item in (self.previous, self.next, self.apply_one, self.apply_every):
                self.remove_item(item)
            self.explain.label = AI_REVIEW_LABEL
        if self.ai is None:
            self.remove_item(self.explain)
            self.remove_item(self.rewrite)
        self._update_items()

    @property
    def has_items(self) -> bool:
        return bool(self.children)

    @property
    def offers_ai_review(self) -> bool:
        """Whether a check that found nothing can still ask the AI for its review."""
        return self.explain in self.children

    def _update_items(self) -> None:
        """Grey out what cannot be pressed now."""
        review = self.review
        single = len(review.issues) <= 1
        self.previous.disabled = single
        self.next.disabled = single
        focused = review.issues[review.current] if review.issues else None
        self.apply_one.disabled = (
            focused is None or not focused.suggestions or review.current in review.applied
        )
        self.apply_every.disabled = not review.pending()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        log.info(
            "member %d pressed a grammar check of member %d", interaction.user.id, self.owner_id
        )
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        await handle_interaction_error(interaction, error)

    async def on_timeout(self) -> None:
        await grey_out(self, self.shown_by, "an old grammar check's buttons")

    async def _redraw(self, interaction: discord.Interaction[Any], review: Review) -> None:
        self.review = review
        self._update_items()
        await interaction.response.edit_message(embed=result_embed(review, self.color), view=self)

    @discord.ui.button(
        label="◀", style=discord.ButtonStyle.secondary, row=0, custom_id="grammar:previous"
    )
    async def previous(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[ResultView]
    ) -> None:
        await self._redraw(interaction, self.review.move(-1))

    @discord.ui.button(
        label="▶", style=discord.ButtonStyle.secondary, row=0, custom_id="grammar:next"
    )
    async def next(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[ResultView]
    ) -> None:
        await self._redraw(interaction, self.review.move(1))

    @discord.ui.button(
        label="Apply this", style=discord.ButtonStyle.primary, row=0, custom_id="grammar:apply"
    )
    async def apply_one(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[ResultView]
    ) -> None:
        await self._redraw(interaction, self.review.apply_current())

    @discord.ui.button(
        label="Apply all", style=discord.ButtonStyle.success, row=0, custom_id="grammar:apply_all"
    )
    async def apply_every(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[ResultView]
    ) -> None:
        await self._redraw(interaction, self.review.apply_all())

    @discord.ui.button(
        label="Explain",
        emoji="🤖",
        style=discord.ButtonStyle.secondary,
        row=0,
        custom_id="grammar:explain",
    )
    async def explain(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[ResultView]
    ) -> None:
        ai = self._ai()
        async with answer_in_time(interaction, "explanation", ephemeral=True) as answer:
            try:
                text = await tutor.explain(
                    ai,
                    self.review.result,
                    user_id=interaction.user.id,
                    guild_id=interaction.guild_id,
                )
            except AIError as error:
                await self._ai_failed(answer, "explanation", error)
                return
            title = "🤖 About these issues" if self.review.issues else f"🤖 {AI_REVIEW_LABEL}"
            await self._send_ai_answer(answer, title, text)

    @discord.ui.select(
        placeholder="🤖 Rewrite in another tone…",
        custom_id="grammar:rewrite",
        options=[discord.SelectOption(label=tone.label, value=tone.value) for tone in Tone],
        row=1,
    )
    async def rewrite(
        self, interaction: discord.Interaction[Any], select: discord.ui.Select[ResultView]
    ) -> None:
        ai = self._ai()
        tone = Tone(select.values[0])
        async with answer_in_time(interaction, f"{tone.value} rewrite", ephemeral=True) as answer:
            try:
                text = await tutor.rewrite(
                    ai,
                    self.review.corrected_text,
                    tone,
                    user_id=interaction.user.id,
                    guild_id=interaction.guild_id,
                )
            except AIError as error:
                await self._ai_failed(answer, f"{tone.value} rewrite", error)
                return
            await self._send_ai_answer(answer, f"🤖 {tone.label} rewrite", text)

    def _ai(self) -> AIService:
        if self.ai is None:  # the items are removed without AI; a stale client may still press
            raise AIUnavailableError
        return self.ai

    async def _ai_failed(self, answer: TimelyAnswer, what: str, error: AIError) -> None:
        member_id = answer.interaction.user.id
        log.info("AI %s for member %d failed: %s", what, member_id, type(error).__name__)
        await answer.send(f"{error.message} {AI_FALLBACK_NOTE}")

    async def _send_ai_answer(self, answer: TimelyAnswer, title: str, text: str) -> None:
        """The AI's answer, privately: its first embeds are the answer, the rest (past one
        message's limits) followups."""
        embeds = paginate_embeds(
            title, text, self.color, footer="Written by an AI model: it can be wrong."
        )
        first, *rest = chunk_embeds(embeds)
        await answer.send(embeds=first)
        for group in rest:
            await answer.interaction.followup.send(embeds=group, ephemeral=True)
