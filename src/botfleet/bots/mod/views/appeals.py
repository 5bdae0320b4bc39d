"""The appeal flow's buttons and modal: in the banned member's DM, then in the staff channel.

Every button is a :class:`PersistentItem`, so a DM sent before a restart still opens the form
and a staff message still decides: ``modappeal:<guild>:open`` in the DM, and
``modappeal:<appeal>:accept`` / ``:deny`` under the appeal in the staff channel.
"""

from __future__ import annotations

import secrets
from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.mod.services.appeals import MAX_APPEAL_LENGTH, MIN_APPEAL_LENGTH
from botfleet.core.errors import cog_serving, refuse
from botfleet.core.persistent import CustomIdFormat, PersistentItem, number, one_of

COG_NAME: Final = "Appeals"
OPEN_ID: Final = CustomIdFormat("modappeal", number("guild"), "open")
DECIDE_ID: Final = CustomIdFormat(
    "modappeal", number("appeal"), one_of("verdict", "accept", "deny")
)

Button = discord.ui.Button[discord.ui.View]


@runtime_checkable
class AppealActions(Protocol):
    """What the appeal buttons and modal ask of the appeals cog."""

    async def check_can_appeal(
        self, interaction: discord.Interaction[Any], guild_id: int
    ) -> bool: ...

    async def submit(
        self, interaction: discord.Interaction[Any], guild_id: int, text: str
    ) -> None: ...

    async def decide(
        self, interaction: discord.Interaction[Any], appeal_id: int, accept: bool
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> AppealActions | None:
    """The appeals cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, AppealActions, "Appeals")


class AppealModal(discord.ui.Modal, title="Appeal your ban"):
    """Why the ban should be lifted."""

    reason: discord.ui.TextInput[AppealModal] = discord.ui.TextInput(
        label="Why should the ban be lifted?",
        style=discord.TextStyle.paragraph,
        min_length=MIN_APPEAL_LENGTH,
        max_length=MAX_APPEAL_LENGTH,
        custom_id="appeal_text",
    )

    def __init__(self, cog: AppealActions, guild_id: int) -> None:
        super().__init__(custom_id=f"modappeal:{guild_id}:form:{secrets.token_hex(6)}")
        self.cog = cog
        self.guild_id = guild_id

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.cog.submit(interaction, self.guild_id, self.reason.value)


class AppealButton(PersistentItem[Button], custom_id=OPEN_ID):
    """In the banned member's DM: opens the appeal form."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Appeal",
                emoji="📨",
                style=discord.ButtonStyle.primary,
                custom_id=OPEN_ID.build(guild_id),
            )
        )
        self.guild_id = guild_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = await actions_of(interaction)
        if cog is not None and await cog.check_can_appeal(interaction, self.guild_id):
            await interaction.response.send_modal(AppealModal(cog, self.guild_id))


class DecisionButton(PersistentItem[Button], custom_id=DECIDE_ID):
    """Under an appeal in the staff channel: accept (unban) or deny."""

    def __init__(self, appeal_id: int, verdict: str) -> None:
        accept = verdict == "accept"
        super().__init__(
            discord.ui.Button(
                label="Accept and unban" if accept else "Deny",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.danger,
                custom_id=DECIDE_ID.build(appeal_id, verdict),
            )
        )
        self.appeal_id = appeal_id
        self.accept = accept

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild is None or not interaction.permissions.ban_members:
            await refuse(interaction, "Only members who may unban can decide appeals.")
            return
        cog = await actions_of(interaction)
        if cog is not None:
            await cog.decide(interaction, self.appeal_id, self.accept)


def appeal_offer_view(guild_id: int) -> discord.ui.View:
    """The DM's button: attach it to the DM a member gets before a ban."""
    view = discord.ui.View(timeout=None)
    view.add_item(AppealButton(guild_id))
    return view


def decision_view(appeal_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DecisionButton(appeal_id, "accept"))
    view.add_item(DecisionButton(appeal_id, "deny"))
    return view
