"""How reminders look: the list embed, and the menu under it that deletes one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import discord

from botfleet.bots.utility.services.reminders import Reminder, ReminderService
from botfleet.core.errors import handle_interaction_error
from botfleet.core.expiring_views import grey_out
from botfleet.utils.embeds import paginate_embeds
from botfleet.utils.text import discord_timestamp, truncate_string

MENU_TIMEOUT: Final = 300.0
MAX_MENU_OPTIONS: Final = 25


def reminder_line(reminder: Reminder) -> str:
    repeats = f" · repeats {reminder.recurrence.value}" if reminder.recurrence else ""
    where = " · by DM" if reminder.direct_message else f" · in <#{reminder.channel_id}>"
    return (
        f"**#{reminder.id}** {discord_timestamp(reminder.due_at)}{repeats}{where}\n"
        f"{truncate_string(reminder.content, 150)}"
    )


def reminders_embed(pending: Sequence[Reminder], color: int) -> list[discord.Embed]:
    """The member's reminders, split over as many embeds as Discord's limits need."""
    repeating = sum(1 for reminder in pending if reminder.recurrence is not None)
    footer = f"{len(pending)} pending" + (f", {repeating} repeating" if repeating else "")
    return paginate_embeds(
        "⏰ Your reminders",
        "\n\n".join(reminder_line(reminder) for reminder in pending),
        color,
        footer=footer,
    )[:10]


class DeleteReminderSelect(discord.ui.Select["ReminderListView"]):
    """Pick a reminder to delete it; the list above is redrawn without it."""

    def __init__(self, pending: Sequence[Reminder]) -> None:
        options = [
            discord.SelectOption(
                label=truncate_string(f"#{reminder.id} {reminder.content}", 100),
                value=str(reminder.id),
            )
            for reminder in pending[:MAX_MENU_OPTIONS]
        ]
        super().__init__(placeholder="Delete a reminder…", options=options)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        view = self.view
        assert view is not None
        deleted = await view.service.delete(view.owner_id, int(self.values[0]))
        pending = await view.service.list_for(view.owner_id)
        notice = f"🗑️ Deleted reminder #{deleted.id}."
        if not pending:
            await interaction.response.edit_message(
                content=f"{notice} You have no reminders left.", embeds=[], view=None
            )
            view.stop()
            return
        color = interaction.client.settings.colors.primary
        redrawn = ReminderListView(view.service, view.owner_id, pending)
        await interaction.response.edit_message(
            content=notice, embeds=reminders_embed(pending, color), view=redrawn
        )
        redrawn.shown_by = interaction
        view.stop()  # replaced: its timeout must not grey out the menu that follows


class ReminderListView(discord.ui.View):
    """The menu under /reminders list (ephemeral, so only its owner ever sees it)."""

    def __init__(self, service: ReminderService, owner_id: int, pending: Sequence[Reminder]):
        super().__init__(timeout=MENU_TIMEOUT)
        self.service = service
        self.owner_id = owner_id
        self.add_item(DeleteReminderSelect(pending))
        self.shown_by: discord.Interaction[Any] | None = None
        """The interaction whose answer holds this view: the list, or the pick that redrew it."""

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[ReminderListView],
        /,
    ) -> None:
        await handle_interaction_error(interaction, error)

    async def on_timeout(self) -> None:
        await grey_out(self, self.shown_by, "reminder list menu")
