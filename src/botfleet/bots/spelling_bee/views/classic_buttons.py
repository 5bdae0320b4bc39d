"""The classic mode's buttons and its spelling form.

Each button is a :class:`discord.ui.DynamicItem` whose ``custom_id`` names the game, the round
(or lobby) it was posted for and the action (``bee-classic:<game>:<key>:spell``), so a press on
the message of a round already answered is told so, and no view is kept per message. The
buttons and the form hand everything to the classic cog, found by name.
"""

from __future__ import annotations

import secrets
from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.spelling_bee.services.classic import MAX_ANSWER_LENGTH
from botfleet.core.errors import cog_serving
from botfleet.core.persistent import (
    ButtonLook,
    CustomIdFormat,
    PersistentItem,
    drawn_button,
    one_of,
    text,
)

COG_NAME: Final = "Spelling Bee classic"

Button = discord.ui.Button[discord.ui.View]
ACTIONS: Final = ("spell", "hear", "join", "begin")
CLASSIC_ID: Final = CustomIdFormat(
    "bee-classic",
    text("game", "[0-9a-f]{1,32}"),
    text("key", "[0-9a-f]{1,32}"),
    one_of("action", *ACTIONS),
)


@runtime_checkable
class ClassicActions(Protocol):
    """What the buttons and the form ask of the classic cog."""

    async def press(
        self, interaction: discord.Interaction[Any], game_id: str, key: str, action: str
    ) -> None: ...

    async def submit_spelling(
        self, interaction: discord.Interaction[Any], game_id: str, key: str, text: str
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> ClassicActions | None:
    """The classic cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, ClassicActions, "The spelling bee")


class ClassicButton(PersistentItem[Button], custom_id=CLASSIC_ID):
    """ "Spell it", "Hear again", "Join" or "Start now"."""

    LABELS: Final[dict[str, ButtonLook]] = {
        "spell": ("Spell it", "✍️", discord.ButtonStyle.primary),
        "hear": ("Hear again", "🔊", discord.ButtonStyle.secondary),
        "join": ("Join", "🙋", discord.ButtonStyle.success),
        "begin": ("Start now", "▶️", discord.ButtonStyle.primary),
    }

    def __init__(self, game_id: str, key: str, action: str) -> None:
        super().__init__(drawn_button(self.LABELS[action], CLASSIC_ID.build(game_id, key, action)))
        self.game_id = game_id
        self.key = key
        self.action = action

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.press(interaction, self.game_id, self.key, self.action)


def buttons(game_id: str, key: str, *actions: str) -> discord.ui.View:
    """A view of the given actions for one round or lobby."""
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(ClassicButton(game_id, key, action))
    return view


class SpellModal(discord.ui.Modal, title="Spell the word"):
    """One text input: the spelling. Each open form has its own custom_id."""

    spelling: discord.ui.TextInput[SpellModal] = discord.ui.TextInput(
        label="Your spelling",
        placeholder="Letters only",
        min_length=1,
        max_length=MAX_ANSWER_LENGTH,
    )

    def __init__(self, game_id: str, key: str) -> None:
        super().__init__(custom_id=f"bee-classic-form:{game_id}:{key}:{secrets.token_hex(6)}")
        self.game_id = game_id
        self.key = key

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.submit_spelling(interaction, self.game_id, self.key, self.spelling.value)
