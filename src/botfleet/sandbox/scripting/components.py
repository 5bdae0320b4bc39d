"""A scripted member using a bot's message components: buttons, select menus and modals."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from botfleet.sandbox.flags import InteractionType
from botfleet.sandbox.models import Message
from botfleet.sandbox.scripting.interactions import InteractionHandle
from botfleet.sandbox.scripting.member_acts import MemberActs
from botfleet.sandbox.scripting.waits import (
    SandboxScriptError,
)


def _text_inputs(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in components:
        if component.get("type") == 1:
            found.extend(
                child for child in component.get("components", []) if child.get("type") == 4
            )
        elif component.get("type") == 18 and component.get("component", {}).get("type") == 4:
            found.append(component["component"])
    return found


class MemberComponents(MemberActs):
    """Clicking, picking and filling in what a bot's messages and modals offer."""

    async def click(self, message: Message, custom_id: str) -> InteractionHandle:
        """Press the button with ``custom_id`` on a bot's message."""
        component = self._component(message, custom_id, "click")
        if component.get("type") != 2:
            raise SandboxScriptError(f"{custom_id!r} is not a button; use select() for menus")
        return await self._component_interaction(
            message, {"custom_id": custom_id, "component_type": 2}
        )

    async def select(
        self, message: Message, custom_id: str, values: Sequence[str]
    ) -> InteractionHandle:
        """Choose ``values`` in the string select menu ``custom_id``."""
        component = self._component(message, custom_id, "select in")
        if component.get("type") != 3:
            raise SandboxScriptError(f"{custom_id!r} is not a string select menu")
        offered = [str(option.get("value")) for option in component.get("options") or []]
        missing = [value for value in values if value not in offered]
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if missing or not low <= len(values) <= high:
            raise SandboxScriptError(
                f"menu {custom_id!r} offers {offered} and takes {low}..{high} values, "
                f"not {list(values)}"
            )
        return await self._component_interaction(
            message, {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        )

    def _component(self, message: Message, custom_id: str, action: str) -> dict[str, Any]:
        if message.deleted:
            raise SandboxScriptError(f"cannot {action} a deleted message: {message.describe()}")
        if message.ephemeral and message.interaction_id is not None:
            owner = self.sandbox.state.interactions[message.interaction_id].user
            if owner.id != self.user.id:
                raise SandboxScriptError(f"{self.user.username} cannot see this ephemeral message")
        component = message.find_component(custom_id)
        if component is None:
            raise SandboxScriptError(
                f"the message has no component {custom_id!r}; it has {message.custom_ids}"
            )
        if component.get("disabled"):
            raise SandboxScriptError(f"{custom_id!r} is disabled")
        return component

    async def forge_interaction(self, message: Message, data: dict[str, Any]) -> InteractionHandle:
        """Send a component interaction with any ``data`` for ``message``, as a modified client
        could: a custom id the message does not carry, a disabled button, values a menu does
        not offer. Discord checks it against the message as it checks every press, so what it
        refuses raises :class:`~botfleet.sandbox.errors.DiscordHTTPError` (50035) and the bot
        never hears of it."""
        interaction = self.sandbox.state.component_interaction(self.user, message, data)
        await asyncio.sleep(0)
        return InteractionHandle(self.sandbox, interaction)

    async def _component_interaction(
        self, message: Message, data: dict[str, Any]
    ) -> InteractionHandle:
        if message.application_id is None and not message.author.bot:
            raise SandboxScriptError("only a bot's message has interactive components")
        if self.sandbox.state.application_of_user(message.author.id) is None:
            raise SandboxScriptError(f"{message.author.username} is not a sandbox application")
        return await self.forge_interaction(message, data)

    async def submit_modal(
        self, opened_by: InteractionHandle, values: Mapping[str, str]
    ) -> InteractionHandle:
        """Fill the modal a bot answered ``opened_by`` with, and submit it.

        ``values`` maps each text input's custom_id to its text; required inputs must be
        filled and lengths respected, as Discord's client enforces.
        """
        modal = opened_by.interaction.modal
        if modal is None:
            raise SandboxScriptError(f"{opened_by!r} was not answered with a modal")
        submitted = [
            self._submitted_component(component, values) for component in modal["components"]
        ]
        filled = {text_input["custom_id"] for text_input in _text_inputs(modal["components"])}
        unknown_ids = sorted(set(values) - filled)
        if unknown_ids:
            raise SandboxScriptError(
                f"the modal has no inputs {unknown_ids}; it has {sorted(filled)}"
            )
        source = self.sandbox.state.messages.get(opened_by.interaction.source_message_id or 0)
        interaction = self.sandbox.state.create_interaction(
            opened_by.interaction.application,
            self.user,
            opened_by.interaction.channel,
            InteractionType.MODAL_SUBMIT,
            {"custom_id": modal["custom_id"], "components": submitted},
            source_message=source,
            triggering=opened_by.interaction,
        )
        await asyncio.sleep(0)
        return InteractionHandle(self.sandbox, interaction)

    def _submitted_component(
        self, component: dict[str, Any], values: Mapping[str, str]
    ) -> dict[str, Any]:
        kind = component.get("type")
        if kind == 1:
            return {
                "type": 1,
                "components": [
                    self._submitted_input(child, values) for child in component["components"]
                ],
            }
        if kind == 18:
            submitted: dict[str, Any] = {
                "type": 18,
                "component": self._submitted_input(component["component"], values),
            }
            if "id" in component:
                submitted["id"] = component["id"]
            return submitted
        return {key: component[key] for key in ("type", "id", "content") if key in component}

    @staticmethod
    def _submitted_input(text_input: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
        custom_id = str(text_input["custom_id"])
        if text_input.get("type") != 4:
            raise SandboxScriptError(f"modal input {custom_id!r} is not a text input")
        value = values.get(custom_id, str(text_input.get("value") or ""))
        if text_input.get("required", True) and not value:
            raise SandboxScriptError(f"modal input {custom_id!r} is required")
        low = int(text_input.get("min_length") or 0)
        high = int(text_input.get("max_length") or 4000)
        if value and not low <= len(value) <= high:
            raise SandboxScriptError(
                f"modal input {custom_id!r} takes {low}..{high} characters, got {len(value)}"
            )
        submitted: dict[str, Any] = {"type": 4, "custom_id": custom_id, "value": value}
        if "id" in text_input:
            submitted["id"] = text_input["id"]
        return submitted
