"""The dry run of a massban: who would be banned, and buttons to go ahead or call it off."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import discord

from botfleet.bots.mod.services.massban import MemberFacts
from botfleet.utils.embeds import create_embed
from botfleet.utils.text import truncate_string

log = logging.getLogger(__name__)

CONFIRM_SECONDS: Final = 120.0
LISTED: Final = 40
"""Members named in the dry run; the rest are counted."""

Confirmed = Callable[[discord.Interaction[Any]], Awaitable[None]]


def dry_run_embed(picked: Sequence[MemberFacts], color: int) -> discord.Embed:
    """The members a massban would ban, for the moderator to check before confirming."""
    lines = [f"• {member.display_name} (`{member.id}`)" for member in picked[:LISTED]]
    if len(picked) > LISTED:
        lines.append(f"…and {len(picked) - LISTED} more.")
    return create_embed(
        title=f"Massban dry run: {len(picked)} member(s)",
        description=truncate_string("\n".join(lines), 4000),
        color=color,
        footer="Nobody is banned until you press Ban them.",
    )


class MassbanConfirm(discord.ui.View):
    """Ban or cancel, for the moderator who asked only; disabled when it times out."""

    def __init__(self, moderator_id: int, on_confirm: Confirmed) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.moderator_id = moderator_id
        self.on_confirm = on_confirm
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.moderator_id:
            return True
        await interaction.response.send_message(
            "This massban belongs to the moderator who asked for it.", ephemeral=True
        )
        return False

    def _disable(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True

    @discord.ui.button(label="Ban them", style=discord.ButtonStyle.danger, custom_id="mod:massban")
    async def confirm(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[MassbanConfirm]
    ) -> None:
        self._disable()
        self.stop()
        await interaction.response.edit_message(view=self)
        await self.on_confirm(interaction)

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="mod:massban:cancel"
    )
    async def cancel(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[MassbanConfirm]
    ) -> None:
        self._disable()
        self.stop()
        await interaction.response.edit_message(content="Massban called off.", view=self)

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        self._disable()
        try:
            await self.message.edit(content="The massban was not confirmed in time.", view=self)
        except discord.HTTPException:
            log.info("massban dry run %s could not be disabled", self.message.id)
