"""One reply path for answers that may be slow: acknowledged in time, a note when Discord lags.

Discord gives an interaction 3 s for its first answer, then 15 minutes of edits and followups
through its token. The bot's own work (a database, a chart) or Discord's rate limits (a 429
storm the REST retries wait out) can hold an answer past those 3 s, and the member then sees
"This interaction failed" although the answer is on its way.

:func:`answer_in_time` keeps the fast path as it was: an answer ready within the grace
(``bot.answer_grace``, 1.5 s) is the first answer, one call. An answer not ready by then is
preceded by an acknowledgement ("thinking", private when the answer will be), so the
interaction never fails; still not ready ``bot.slow_note_after`` seconds after the member's
command, the member reads a short note that the answer is taking longer and is on its way (the
wait may be Discord's or the bot's own: engines loading, a long lookup).
The answer replaces the acknowledgement or the note (the original response is edited): one
answer, never two. An edit notifies nobody on Discord (not even the one filling a "thinking"
acknowledgement), so a public answer meant to ping someone is sent as a new message in place
of the note, which is taken down. A command that fails instead leaves no note behind: it is
taken down, so the error reply is the only answer. Both times count from the interaction's
creation (the time in its id), since the checks before the answer spent part of the 3 s
already.

A component whose answer edits the message it is on (a staff decision) answers with
``updates_message``: in time, the edit is the press's first response (``UPDATE_MESSAGE``);
late, the press is acknowledged without a message (``DEFERRED_UPDATE_MESSAGE``), the note goes
to the presser alone as a private followup (the shared message must not carry it), and the
answer edits the message when it is ready, the note then taken down. A refusal after the note
takes the note's place, privately.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import discord
from discord.utils import MISSING

from botfleet.core.errors import refuse, reply_ephemeral
from botfleet.utils.tasks import cancel_and_wait

log = logging.getLogger(__name__)

DEFAULT_GRACE = 1.5
"""Seconds after the member's command by which an answer not given yet is acknowledged (Discord
allows 3)."""
DEFAULT_NOTE_AFTER = 5.0
"""Seconds after the member's command past which the member is told the answer is coming."""


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_INTERACTION_DEFAULT = discord.AllowedMentions(everyone=False, roles=False, users=True)
"""What an interaction's message pings when no ``allowed_mentions`` is sent: users only."""


SLOW_NOTE_OPENING = "⏳ This is taking longer than usual"
"""How every note about a held-back answer begins (the local Discord console waits past one)."""


def slow_note(what: str) -> str:
    """What a member waiting on a held-back answer reads until it arrives."""
    return f"{SLOW_NOTE_OPENING} — your {what} is on its way."


class TimelyAnswer:
    """The answer to one interaction, acknowledged if it is late and noted if it is later.

    Use it as ``async with answer_in_time(...) as answer:`` around the command's work and
    give the answer with :meth:`send`. The acknowledgement, the note and the answer are made
    one at a time under a lock, so a late acknowledgement never races the answer into a second
    callback (which Discord refuses with 40060).
    """

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        what: str,
        *,
        ephemeral: bool,
        grace: float = DEFAULT_GRACE,
        note_after: float = DEFAULT_NOTE_AFTER,
        updates_message: bool = False,
    ) -> None:
        self.interaction = interaction
        self.updates_message = updates_message
        self.what = what
        self.ephemeral = ephemeral
        self.grace = grace
        self.note_after = max(note_after, grace)
        self.noted = False
        """Whether the member was shown the slow note (and has not had the answer yet)."""
        self.deferred = False
        """Whether this answer acknowledged the interaction (and has not filled it yet)."""
        self._answered = False
        self._private_note: discord.WebhookMessage | None = None
        """The presser's own note while an answer that updates the message is late."""
        self._turn = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        if not self.interaction.response.is_done():
            self._watch = asyncio.create_task(
                self._acknowledge_when_late(), name=f"timely-answer-{self.interaction.id}"
            )
        return self

    async def __aexit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        async with self._turn:
            self._answered = True
        await cancel_and_wait(self._watch)
        if self.updates_message:
            if error is not None:
                await self._take_down_private_note()
            return
        if error is not None and (self.noted or (self.deferred and not self.ephemeral)):
            await self._take_down_wait()

    async def send(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        embeds: Sequence[discord.Embed] | None = None,
        view: discord.ui.View | None = None,
        allowed_mentions: discord.AllowedMentions | None = None,
        files: Sequence[discord.File] = (),
    ) -> None:
        """Give the answer: the first response when in time, else in place of the wait."""
        await self._begin_answer()
        every_embed = [embed] if embed is not None else list(embeds or ())
        response = self.interaction.response
        if self.updates_message:
            await self._update_message(content, every_embed, view, allowed_mentions, files)
            return
        if response.is_done() and not self.ephemeral and self._pings(content, allowed_mentions):
            await self._answer_apart(content, every_embed, view, allowed_mentions, files)
            return
        if not response.is_done():
            await response.send_message(
                content,
                embeds=every_embed or MISSING,
                view=view or MISSING,
                allowed_mentions=allowed_mentions or MISSING,
                files=files or MISSING,
                ephemeral=self.ephemeral,
            )
            return
        await self.interaction.edit_original_response(
            content=content,
            embeds=every_embed,
            view=view,
            allowed_mentions=allowed_mentions,
            attachments=files or MISSING,
        )
        self.noted = self.deferred = False

    async def refuse(self, message: str) -> None:
        """Refuse privately instead of answering: in place of the presser's note if there is
        one, else as the press's private reply (the message the press is on stays as it was)."""
        await self._begin_answer()
        note, self._private_note = self._private_note, None
        self.noted = self.deferred = False
        if note is None:
            await refuse(self.interaction, message)
            return
        log.info("interaction %s refused in place of its note: %s", self.interaction.id, message)
        try:
            await note.edit(content=message)
        except discord.HTTPException as error:
            log.warning("could not replace the note of interaction %s: %s", note.id, error)
            await reply_ephemeral(self.interaction, message)

    async def _begin_answer(self) -> None:
        """Claim the one answer and stop the acknowledgement and the note from coming."""
        async with self._turn:
            if self._answered:
                raise RuntimeError(f"interaction {self.interaction.id} was answered already")
            self._answered = True
        await cancel_and_wait(self._watch)

    async def _update_message(
        self,
        content: str | None,
        embeds: list[discord.Embed],
        view: discord.ui.View | None,
        allowed_mentions: discord.AllowedMentions | None,
        files: Sequence[discord.File],
    ) -> None:
        """Edit the message the component is on: as the first response when in time, else
        through the interaction's token, then take the presser's note down. Text and embeds
        not given stay as they were; ``view=None`` removes the components."""
        response = self.interaction.response
        kept_content = MISSING if content is None else content
        if not response.is_done():
            await response.edit_message(
                content=kept_content,
                embeds=embeds or MISSING,
                view=view,
                allowed_mentions=allowed_mentions,
                attachments=files or MISSING,
            )
            return
        await self.interaction.edit_original_response(
            content=kept_content,
            embeds=embeds or MISSING,
            view=view,
            allowed_mentions=allowed_mentions,
            attachments=files or MISSING,
        )
        await self._take_down_private_note()
        self.deferred = False

    async def _take_down_private_note(self) -> None:
        """Delete the presser's note: the answer (or the error reply) replaces it."""
        note, self._private_note = self._private_note, None
        self.noted = False
        if note is None:
            return
        try:
            await note.delete()
        except discord.HTTPException as error:
            log.warning("could not take down the note of interaction %s: %s", note.id, error)

    def _pings(self, content: str | None, allowed: discord.AllowedMentions | None) -> bool:
        """Whether ``content`` mentions someone the answer's allowed mentions (merged into the
        client's, as discord.py sends them) let it ping."""
        if not content:
            return False
        default = getattr(self.interaction.client, "allowed_mentions", None)
        if default is not None and allowed is not None:
            allowed = default.merge(allowed)
        effective = allowed or default or _INTERACTION_DEFAULT
        if effective.everyone and ("@everyone" in content or "@here" in content):
            return True
        for kind, pattern in (("users", _USER_MENTION), ("roles", _ROLE_MENTION)):
            permitted = getattr(effective, kind)
            mentioned = {int(found) for found in pattern.findall(content)}
            if mentioned and (
                permitted is True
                or (not isinstance(permitted, bool) and mentioned & {item.id for item in permitted})
            ):
                return True
        return False

    async def _answer_apart(
        self,
        content: str | None,
        embeds: list[discord.Embed],
        view: discord.ui.View | None,
        allowed_mentions: discord.AllowedMentions | None,
        files: Sequence[discord.File],
    ) -> None:
        """Give a pinging answer as a new message, which notifies, then take the wait down.

        An unfilled acknowledgement is filled with the note first: the first followup would
        otherwise fill it, an edit that pings nobody."""
        if not self.noted:
            await self.interaction.edit_original_response(content=slow_note(self.what))
            self.noted = True
        await self.interaction.followup.send(
            content or MISSING,
            embeds=embeds or MISSING,
            view=view or MISSING,
            allowed_mentions=allowed_mentions or MISSING,
            files=files or MISSING,
        )
        await self._take_down_wait()
        log.info("interaction %s: the answer pings, so it was sent apart", self.interaction.id)

    async def _acknowledge_when_late(self) -> None:
        """Acknowledge after the grace, then note the wait, unless the answer went out first."""
        try:
            await asyncio.sleep(self._left_until(self.grace))
            async with self._turn:
                if not self._waiting() or self.interaction.response.is_done():
                    return
                if self.updates_message:
                    await self.interaction.response.defer()
                else:
                    await self.interaction.response.defer(ephemeral=self.ephemeral, thinking=True)
                self.deferred = True
            log.info(
                "interaction %s: answer not ready after %.1fs; acknowledged",
                self.interaction.id,
                self.grace,
            )
            await asyncio.sleep(self._left_until(self.note_after))
            async with self._turn:
                if not self._waiting():
                    return
                if self.updates_message:
                    self._private_note = await self.interaction.followup.send(
                        slow_note(self.what), ephemeral=True, wait=True
                    )
                else:
                    await self.interaction.edit_original_response(content=slow_note(self.what))
                self.noted = True
            log.info(
                "interaction %s: answer not ready after %.1fs; the member was told it is coming",
                self.interaction.id,
                self.note_after,
            )
        except discord.HTTPException as error:
            log.warning(
                "could not acknowledge the slow answer to interaction %s: %s",
                self.interaction.id,
                error,
            )

    def _left_until(self, age: float) -> float:
        """Seconds until the interaction is ``age`` seconds old, by the time in its id.

        Counted from the interaction's creation, not from this answer's start: the checks
        before it (a database read) spent part of Discord's 3 s already. A clock behind
        Discord's would count a negative age, taken as zero (the whole grace from now); one
        ahead only acknowledges sooner.
        """
        elapsed = (discord.utils.utcnow() - self.interaction.created_at).total_seconds()
        return max(0.0, age - max(0.0, elapsed))

    def _waiting(self) -> bool:
        """Whether the answer has not been begun (nor the command ended) yet."""
        return not self._answered

    async def _take_down_wait(self) -> None:
        """Remove the acknowledgement (or note) of an answer that failed, so the error reply
        stands alone and private: the first followup would otherwise fill a public deferral
        and be public with it. A deferral is filled before it is deleted, since Discord
        refuses followups once an unfilled one is gone."""
        try:
            if not self.noted:
                await self.interaction.edit_original_response(content=slow_note(self.what))
            await self.interaction.delete_original_response()
        except discord.HTTPException as error:
            log.warning(
                "could not take down the acknowledgement of interaction %s: %s",
                self.interaction.id,
                error,
            )
        self.noted = self.deferred = False


def answer_in_time(
    interaction: discord.Interaction[Any],
    what: str,
    *,
    ephemeral: bool = False,
    updates_message: bool = False,
) -> TimelyAnswer:
    """The timely answer to ``interaction``, paced by the bot's settings.

    ``what`` names the answer for the note ("role change", "poll results"); ``ephemeral``
    says where the answer goes, and the acknowledgement goes there too (Discord keeps a
    deferral's privacy for the answer that fills it). ``updates_message`` makes the answer
    an edit of the message a component is on (the note then private to the presser).
    """
    settings = getattr(interaction.client, "settings", None)
    bot = getattr(settings, "bot", None)
    return TimelyAnswer(
        interaction,
        what,
        ephemeral=ephemeral,
        grace=getattr(bot, "answer_grace", DEFAULT_GRACE),
        note_after=getattr(bot, "slow_note_after", DEFAULT_NOTE_AFTER),
        updates_message=updates_message,
    )
