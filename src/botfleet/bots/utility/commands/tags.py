"""/tag show|create|edit|delete|list|info: a guild's text snippets."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, resolve_level
from botfleet.bots.utility.services.tags import MAX_NAME_LENGTH, TagService, ensure_can_change
from botfleet.bots.utility.views.tags import TagForm, tags_embeds
from botfleet.utils.embeds import create_embed
from botfleet.utils.places import server_id_of
from botfleet.utils.text import discord_timestamp

SERVER_ONLY: Final = "Tags belong to a server; use this command in one."

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


@app_commands.guild_only()
class TagCommands(commands.GroupCog, group_name="tag", group_description="The server's tags."):
    """Members create and call tags; owners and moderators change them."""

    def __init__(self, bot: FleetBot, service: TagService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    async def _is_moderator(self, interaction: discord.Interaction[FleetBot]) -> bool:
        return await resolve_level(self.bot, interaction.user) >= PermissionLevel.MODERATOR

    @app_commands.command(name="show", description="Post a tag here.")
    @app_commands.describe(name="The tag's name.")
    async def show(
        self,
        interaction: discord.Interaction[FleetBot],
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        tag = await self.service.use(server_id_of(interaction, SERVER_ONLY), name)
        await interaction.response.send_message(tag.content, allowed_mentions=NO_PINGS)

    @app_commands.command(name="create", description="Make a new tag (a form asks for its text).")
    @app_commands.describe(name="Its name, used to call it: letters, digits, spaces.")
    async def create(
        self,
        interaction: discord.Interaction[FleetBot],
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)

        async def save(form_interaction: discord.Interaction[FleetBot], content: str) -> None:
            tag = await self.service.create(guild_id, form_interaction.user.id, name, content)
            await form_interaction.response.send_message(
                f"🏷️ Tag **{tag.name}** created. Call it with `/tag show name:{tag.name}`.",
                ephemeral=True,
            )

        await interaction.response.send_modal(TagForm(f"New tag: {name}"[:45], "", save))

    @app_commands.command(name="edit", description="Change a tag's text (yours, or any as a mod).")
    @app_commands.describe(name="The tag's name.")
    async def edit(
        self,
        interaction: discord.Interaction[FleetBot],
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        moderator = await self._is_moderator(interaction)
        tag = await self.service.get(guild_id, name)
        ensure_can_change(tag, interaction.user.id, moderator, "edit")

        async def save(form_interaction: discord.Interaction[FleetBot], content: str) -> None:
            edited = await self.service.edit(
                guild_id, name, content, actor_id=form_interaction.user.id, moderator=moderator
            )
            await form_interaction.response.send_message(
                f"✏️ Tag **{edited.name}** updated.", ephemeral=True
            )

        await interaction.response.send_modal(
            TagForm(f"Edit tag: {tag.name}"[:45], tag.content, save)
        )

    @app_commands.command(name="delete", description="Delete a tag (yours, or any as a mod).")
    @app_commands.describe(name="The tag's name.")
    async def delete(
        self,
        interaction: discord.Interaction[FleetBot],
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        tag = await self.service.delete(
            server_id_of(interaction, SERVER_ONLY),
            name,
            actor_id=interaction.user.id,
            moderator=await self._is_moderator(interaction),
        )
        await interaction.response.send_message(
            f"🗑️ Tag **{tag.name}** deleted.", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="list", description="The server's tags, or one member's.")
    @app_commands.describe(member="Only this member's tags.")
    async def list_tags(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        tags = await self.service.all(
            server_id_of(interaction, SERVER_ONLY), member.id if member is not None else None
        )
        if not tags:
            whose = f"{member.display_name} has" if member is not None else "This server has"
            await interaction.response.send_message(
                f"{whose} no tags yet. Make one with /tag create.", ephemeral=True
            )
            return
        await interaction.response.send_message(
            embeds=tags_embeds(tags, self.bot.settings.colors.primary), ephemeral=True
        )

    @app_commands.command(name="info", description="Who made a tag, when, and how often it's used.")
    @app_commands.describe(name="The tag's name.")
    async def info(
        self,
        interaction: discord.Interaction[FleetBot],
        name: app_commands.Range[str, 1, MAX_NAME_LENGTH],
    ) -> None:
        tag = await self.service.get(server_id_of(interaction, SERVER_ONLY), name)
        embed = create_embed(
            title=f"🏷️ {tag.name}",
            description=None,
            color=self.bot.settings.colors.info,
            fields=[
                ("Owner", f"<@{tag.owner_id}>", True),
                ("Uses", f"{tag.uses:,}", True),
                ("Created", discord_timestamp(tag.created_at, "D"), True),
                ("Last changed", discord_timestamp(tag.updated_at, "D"), True),
            ],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @show.autocomplete("name")
    @edit.autocomplete("name")
    @delete.autocomplete("name")
    @info.autocomplete("name")
    async def tag_names(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.search(interaction.guild_id, current)
        return [app_commands.Choice(name=name, value=name) for name in names]
