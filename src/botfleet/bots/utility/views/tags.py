"""How tags look: the form that takes a tag's text, and the list embed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from botfleet.bots.utility.services.tags import MAX_CONTENT_LENGTH, Tag
from botfleet.core.errors import handle_interaction_error
from botfleet.utils.embeds import paginate_embeds
from botfleet.utils.wording import plural

SaveTag = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class TagForm(discord.ui.Modal):
    """A paragraph box for a tag's text: slash options cannot hold line breaks."""

    content: discord.ui.TextInput[TagForm] = discord.ui.TextInput(
        label="Text",
        style=discord.TextStyle.paragraph,
        max_length=MAX_CONTENT_LENGTH,
        placeholder="What the tag posts when someone calls it.",
    )

    def __init__(self, title: str, current: str, save: SaveTag) -> None:
        super().__init__(title=title)
        self.content.default = current or None
        self._save = save

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        try:
            await self._save(interaction, self.content.value)
        except Exception as error:
            await handle_interaction_error(interaction, error)


def tags_embeds(tags: Sequence[Tag], color: int) -> list[discord.Embed]:
    """The tags by name, with their owner and uses, in as many embeds as needed."""
    lines = [f"**{tag.name}** · <@{tag.owner_id}> · {plural(tag.uses, 'use')}" for tag in tags]
    return paginate_embeds(
        f"🏷️ Tags ({len(tags)})", "\n".join(lines), color, footer="Call one with /tag show"
    )[:10]
