"""The raid alert's button: ban the members the raid flagged, after a confirmation.

The button is a :class:`PersistentItem` (``modraid:<guild>:massban``): an alert posted before a
restart still works, since the flagged members are stored. A press opens an ephemeral
confirmation that says how many will be banned; only the confirmation bans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.core.errors import cog_serving, handle_interaction_error, refuse, reply_ephemeral
from botfleet.core.expiring_views import grey_out
from botfleet.core.persistent import CustomIdFormat, PersistentItem, number

COG_NAME: Final = "Raid defence"
MASSBAN_ID: Final = CustomIdFormat("modraid", number("guild"), "massban")
CONFIRM_SECONDS: Final = 120

Button = discord.ui.Button[discord.ui.View]


@runtime_checkable
class RaidActions(Protocol):
    """What the massban button asks of the raid cog."""

    async def flagged_count(self, guild_id: int) -> int: ...

    async def massban(
        self, interaction: discord.Interaction[Any], guild_id: int, claimed: Callable[[], None]
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> RaidActions | None:
    """The raid cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, RaidActions, "Raid defence")


def may_ban(interaction: discord.Interaction[Any]) -> bool:
    return interaction.guild is not None and interaction.permissions.ban_members


class MassbanButton(PersistentItem[Button], custom_id=MASSBAN_ID):
    """Under the raid alert: opens the massban confirmation."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Ban flagged joiners",
                emoji="🔨",
                style=discord.ButtonStyle.danger,
                custom_id=MASSBAN_ID.build(guild_id),
            )
        )
        self.guild_id = guild_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not may_ban(interaction):
            await refuse(interaction, "Only members who may ban can use this button.")
            return
        if interaction.guild_id != self.guild_id:
            await refuse(interaction, "This button belongs to another server's raid alert.")
            return
        cog = await actions_of(interaction)
        if cog is None:
            return
        count = await cog.flagged_count(self.guild_id)
        if not count:
            await reply_ephemeral(interaction, "No flagged joiner is left to ban.")
            return
        confirmation = ConfirmMassban(cog, self.guild_id, interaction.user.id)
        await interaction.response.send_message(
            f"Ban the {count} member{'s' if count != 1 else ''} this raid flagged? "
            "They can appeal if appeals are on.",
            view=confirmation,
            ephemeral=True,
        )
        confirmation.shown_by = interaction


class ConfirmMassban(discord.ui.View):
    """The ephemeral confirmation: only its confirm button bans; greyed out when it times out."""

    def __init__(self, cog: RaidActions, guild_id: int, moderator_id: int) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.cog = cog
        self.guild_id = guild_id
        self.moderator_id = moderator_id
        self.confirmed = False
        self.shown_by: discord.Interaction[Any] | None = None
        """The press whose ephemeral answer holds this view (only it can edit that answer)."""

    @discord.ui.button(label="Confirm the massban", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], _: Button) -> None:
        if interaction.user.id != self.moderator_id:
            await refuse(interaction, "This confirmation is not yours.")
            return
        if self.confirmed:  # a double click: the view listens on to say so
            await refuse(interaction, "You confirmed this massban already.")
            return
        # Confirmed only once the massban holds the guild's claim: a moderator refused because
        # another massban is under way may confirm again when it is done, and so may one whose
        # massban failed (members it banned are skipped then).
        try:
            await self.cog.massban(interaction, self.guild_id, self._claimed)
        except Exception:
            self.confirmed = False
            raise

    def _claimed(self) -> None:
        self.confirmed = True

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[ConfirmMassban],
        /,
    ) -> None:
        await handle_interaction_error(interaction, error)

    async def on_timeout(self) -> None:
        await grey_out(self, self.shown_by, "raid massban confirmation")


def raid_alert_view(guild_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(MassbanButton(guild_id))
    return view
