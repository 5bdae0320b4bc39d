"""The dry run of a massban: who would be banned, and buttons to go ahead or call it off."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any, Final

import discord
from discord.utils import MISSING

from botfleet.bots.mod.services.massban import MassbanBusyError, MemberFacts
from botfleet.core.answers import TimelyAnswer, answer_in_time
from botfleet.core.errors import handle_interaction_error
from botfleet.utils.embeds import create_embed
from botfleet.utils.text import truncate_string

log = logging.getLogger(__name__)

CONFIRM_SECONDS: Final = 120.0
LISTED: Final = 40
"""Members named in the dry run; the rest are counted."""

Confirmed = Callable[[TimelyAnswer], Awaitable[None]]
"""Carries the massban out and gives its report through the press's timely answer."""
REPORT: Final = "massban report"


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


class Stage(Enum):
    """Where a dry run's decision stands: a second press is told, never carried out again."""

    OPEN = "open"
    BANNING = "This massban is being carried out already; its report follows when it is done."
    DONE = "This massban was carried out already; its report is above."
    CANCELLED = "This massban was called off; run /massban again to start over."


class MassbanConfirm(discord.ui.View):
    """Ban or cancel, for the moderator who asked only; disabled when it times out.

    The first press claims the decision: the view stays listening until it times out, so a
    double click (or a press that raced the buttons' disabling) gets a clear answer.
    """

    def __init__(self, moderator_id: int, on_confirm: Confirmed) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.moderator_id = moderator_id
        self.on_confirm = on_confirm
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        self.stage = Stage.OPEN

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.moderator_id:
            return True
        await interaction.response.send_message(
            "This massban belongs to the moderator who asked for it.", ephemeral=True
        )
        return False

    def _set_buttons(self, *, enabled: bool) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = not enabled

    @discord.ui.button(label="Ban them", style=discord.ButtonStyle.danger, custom_id="mod:massban")
    async def confirm(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[MassbanConfirm]
    ) -> None:
        if await self._decided(interaction):
            return
        self.stage = Stage.BANNING
        try:
            async with answer_in_time(interaction, REPORT) as answer:
                await self.on_confirm(answer)
        except MassbanBusyError:
            # Nothing was banned (another massban holds the server): the buttons stay, so the
            # moderator can confirm once its report is in; the refusal is answered privately.
            self.stage = Stage.OPEN
            raise
        finally:
            if self.stage is Stage.BANNING:
                self.stage = Stage.DONE
                await self._grey_out()

    async def _grey_out(self, content: str | None = None) -> None:
        """Disable the dry run's buttons once its massban is decided or its time is up (the
        report answers the press: the dry run is the private answer of ``/massban``)."""
        self._set_buttons(enabled=False)
        if self.message is None:
            return
        try:
            await self.message.edit(content=content or MISSING, view=self)
        except discord.HTTPException:
            log.info("massban dry run %s could not be disabled", self.message.id)

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="mod:massban:cancel"
    )
    async def cancel(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[MassbanConfirm]
    ) -> None:
        if await self._decided(interaction):
            return
        self.stage = Stage.CANCELLED
        self._set_buttons(enabled=False)
        await interaction.response.edit_message(content="Massban called off.", view=self)

    async def _decided(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether an earlier press decided already; the presser is told what came of it."""
        if self.stage is Stage.OPEN:
            return False
        await interaction.response.send_message(self.stage.value, ephemeral=True)
        return True

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[MassbanConfirm],
        /,
    ) -> None:
        """A press that failed is answered (discord.py would only log it): the buttons are
        disabled by then, and the moderator would wait for a report that never comes."""
        await handle_interaction_error(interaction, error)

    async def on_timeout(self) -> None:
        if self.stage is Stage.OPEN:
            await self._grey_out("The massban was not confirmed in time.")
