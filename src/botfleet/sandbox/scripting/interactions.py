"""What a scripted member's interaction became: the bot's answer, followups, modals and choices."""

# Every wait takes its own ``timeout`` so that, when it runs out, the failure can say what was
# awaited and what the bot did instead; an outer asyncio.timeout() could only say "timed out".
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botfleet.sandbox.flags import InteractionCallbackType, InteractionType
from botfleet.sandbox.models import Interaction, Message
from botfleet.sandbox.scripting.waits import DEFAULT_TIMEOUT, ScriptedSandbox, wait_until

DEFERRED_ANSWER_TIMEOUT = 30.0
"""How long the answer after a deferral is awaited at least. Discord gives the bot fifteen
minutes once it has deferred; a loaded machine still loading the Grammar Bot's engines needs
more than the few seconds a first answer gets."""

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload


@dataclass(frozen=True)
class InteractionResponse:
    """The first answer a bot gave to an interaction."""

    type: InteractionCallbackType
    message: Message | None
    """The message created (4, 5) or updated (7); ``None`` for 6, 8 and 9."""
    modal: dict[str, Any] | None
    choices: list[dict[str, Any]] | None = None
    """The suggestions of an autocomplete answer (8)."""

    @property
    def content(self) -> str:
        """The answer's text (empty for a deferral or a modal)."""
        return self.message.content if self.message is not None else ""

    @property
    def embeds(self) -> list[EmbedPayload]:
        """The answer's embeds."""
        return self.message.embeds if self.message is not None else []

    @property
    def components(self) -> list[dict[str, Any]]:
        """The answer's components."""
        return self.message.components if self.message is not None else []

    @property
    def ephemeral(self) -> bool:
        """Whether only the member who ran the interaction sees the answer."""
        return self.message is not None and self.message.ephemeral

    @property
    def deferred(self) -> bool:
        """Whether the bot only acknowledged and will answer later."""
        return self.type in (
            InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            InteractionCallbackType.DEFERRED_UPDATE_MESSAGE,
        )


class InteractionHandle:
    """An interaction a member started; await the bot's answer, followups and edits."""

    def __init__(self, sandbox: ScriptedSandbox, interaction: Interaction) -> None:
        self.sandbox = sandbox
        self.interaction = interaction
        self._followups_seen = 0
        self._edits_seen: dict[int, int] = {}

    @property
    def id(self) -> int:
        """The interaction's id."""
        return self.interaction.id

    def __repr__(self) -> str:
        return f"<InteractionHandle {self._label()}>"

    def _label(self) -> str:
        interaction = self.interaction
        if interaction.type is InteractionType.APPLICATION_COMMAND:
            return f"/{interaction.command_name}"
        if interaction.type is InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            return f"autocomplete of /{interaction.command_name}"
        custom_id = interaction.data.get("custom_id")
        kind = "modal" if interaction.type is InteractionType.MODAL_SUBMIT else "component"
        return f"{kind} {custom_id!r}"

    async def redeliver(self) -> None:
        """Have the bot receive this interaction again (same id and token), as a gateway
        replay or a replaying client would make it."""
        self.sandbox.state.redeliver_interaction(self.interaction)
        await asyncio.sleep(0)

    def _response(self) -> InteractionResponse | None:
        interaction = self.interaction
        if interaction.response_type is None:
            return None
        message_id = interaction.original_message_id
        if interaction.response_type is InteractionCallbackType.UPDATE_MESSAGE:
            message_id = interaction.source_message_id
        message = self.sandbox.state.messages.get(message_id or 0)
        return InteractionResponse(
            interaction.response_type, message, interaction.modal, interaction.choices
        )

    @property
    def response(self) -> InteractionResponse | None:
        """The first answer, if the bot gave it already."""
        return self._response()

    async def wait_for_response(self, *, timeout: float | None = None) -> InteractionResponse:
        """Wait for the bot's first answer (by default until Discord's deadline has passed)."""
        limit = timeout if timeout is not None else self.sandbox.state.interaction_deadline + 1.0
        return await wait_until(
            self.sandbox,
            self._response,
            timeout=limit,
            describe_failure=self._describe_missing_answer,
        )

    def _describe_missing_answer(self) -> str:
        state = self.sandbox.state
        text = f"waiting for {self.interaction.application.name} to answer {self._label()}"
        if state.interaction_age(self.interaction) > state.interaction_deadline:
            text += (
                f"; Discord's {state.interaction_deadline:.1f}s deadline has passed, so the "
                "member sees 'This interaction failed'"
            )
        return text

    async def wait_for_message(self, *, timeout: float | None = None) -> Message:
        """Wait until the answer's message has real content.

        After a deferral that is when the bot edited ``@original`` or sent its first followup,
        either of which fills the "is thinking..." message. Without a ``timeout``, the bot has
        the usual few seconds to answer, and ``DEFERRED_ANSWER_TIMEOUT`` once it has deferred.
        """

        def ready() -> Message | None:
            response = self._response()
            if response is None or response.message is None or response.message.loading:
                return None
            return response.message

        if timeout is None:
            first = await self.wait_for_response(timeout=DEFAULT_TIMEOUT)
            deferred = first.message is not None and first.message.loading
            timeout = DEFERRED_ANSWER_TIMEOUT if deferred else DEFAULT_TIMEOUT
        return await wait_until(
            self.sandbox,
            ready,
            timeout=timeout,
            describe_failure=self._describe_missing_message,
        )

    def _describe_missing_message(self) -> str:
        response = self._response()
        if response is None or response.message is None or not response.message.loading:
            return f"waiting for the answer message of {self._label()}"
        return (
            f"waiting for {self.interaction.application.name} to finish thinking about "
            f"{self._label()}: it deferred, then neither sent a followup nor edited @original"
        )

    async def wait_for_modal(self, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the bot to answer with a modal, and return it."""
        response = await self.wait_for_response(timeout=timeout)
        if response.modal is None:
            raise AssertionError(
                f"{self._label()} was answered with callback type {int(response.type)}, not a "
                f"modal: {response.message.describe() if response.message else '(no message)'}"
            )
        return response.modal

    async def wait_for_choices(self, *, timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait for the bot's autocomplete suggestions (``{"name": ..., "value": ...}``)."""
        response = await self.wait_for_response(timeout=timeout)
        if response.choices is None:
            raise AssertionError(
                f"{self._label()} was answered with callback type {int(response.type)}, "
                "not with autocomplete choices"
            )
        return response.choices

    async def wait_for_followup(self, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Wait for the message of the next followup the test has not seen yet.

        The first followup after a deferral fills the deferred answer instead of posting a new
        message, as on Discord: its message is the answer itself (same id as
        ``response.message``).
        """

        def next_followup() -> Message | None:
            ids = self.interaction.followup_results
            if len(ids) <= self._followups_seen:
                return None
            message = self.sandbox.state.messages[ids[self._followups_seen]]
            self._followups_seen += 1
            return message

        return await wait_until(
            self.sandbox,
            next_followup,
            timeout=timeout,
            describe_failure=lambda: (
                f"waiting for followup #{self._followups_seen + 1} of {self._label()}"
            ),
        )

    async def wait_for_edit(
        self, message: Message | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Message:
        """Wait for a new edit of ``message`` (default: the original answer or updated message)."""

        def target() -> Message | None:
            if message is not None:
                return message
            response = self._response()
            if response is not None and response.message is not None:
                return response.message
            return self.sandbox.state.messages.get(self.interaction.source_message_id or 0)

        def edited() -> Message | None:
            found = target()
            if found is None:
                return None
            seen = self._edits_seen.get(found.id, 0)
            if found.edit_count <= seen:
                return None
            self._edits_seen[found.id] = found.edit_count
            return found

        return await wait_until(
            self.sandbox,
            edited,
            timeout=timeout,
            describe_failure=lambda: f"waiting for an edit of the message of {self._label()}",
        )
