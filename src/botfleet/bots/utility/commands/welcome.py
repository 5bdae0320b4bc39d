"""/welcome: admins set the welcome and goodbye messages, and preview them before members do."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.bots.utility.events.welcome import facts_of, welcome_card_file
from botfleet.bots.utility.services.welcome import (
    MAX_TEMPLATE_LENGTH,
    WelcomeConfig,
    WelcomeStore,
    check_template,
    placeholder_help,
    render,
)
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed, truncate_string

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
WHICH_CHOICES: Final = [
    app_commands.Choice(name="welcome", value="welcome"),
    app_commands.Choice(name="goodbye", value="goodbye"),
    app_commands.Choice(name="both", value="both"),
]


def _guild(interaction: discord.Interaction[FleetBot]) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("Welcome messages belong to a server; use this command in one.")
    return interaction.guild


def check_can_post(channel: discord.TextChannel, *, with_picture: bool) -> None:
    """Refuse a channel where the bot could not post (or attach the card), saying why."""
    needed = ["view_channel", "send_messages"] + (["attach_files"] if with_picture else [])
    ensure_bot_can(channel, needed, "post")


def describe(config: WelcomeConfig) -> list[tuple[str, str, bool]]:
    welcome = (
        f"in <#{config.welcome_channel_id}>" + (" with a card" if config.welcome_card else "")
        if config.welcome_channel_id
        else "off"
    )
    goodbye = f"in <#{config.goodbye_channel_id}>" if config.goodbye_channel_id else "off"
    return [
        ("Welcome", welcome, True),
        ("Goodbye", goodbye, True),
        ("Welcome text", truncate_string(config.welcome_template, 1000), False),
        ("Goodbye text", truncate_string(config.goodbye_template, 1000), False),
    ]


@app_commands.guild_only()
class WelcomeCommands(
    commands.GroupCog, group_name="welcome", group_description="Greet members who join."
):
    """Admin settings of the welcome and goodbye messages."""

    def __init__(self, bot: FleetBot, store: WelcomeStore) -> None:
        self.bot = bot
        self.store = store
        super().__init__()

    async def _saved(
        self, interaction: discord.Interaction[FleetBot], config: WelcomeConfig, what: str
    ) -> None:
        log.info("guild %d: %s changed by %d", config.guild_id, what, interaction.user.id)
        embed = create_embed(
            title=f"✅ {what}",
            description="See it as members will with /welcome preview.",
            color=self.bot.settings.colors.success,
            fields=describe(config),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="set", description="Post a welcome when someone joins.")
    @app_commands.describe(
        channel="Where to post it.",
        message="The text; placeholders {user} {name} {server} {member_count}. "
        "Left out: the default.",
        card="Add a picture with the member's avatar and name.",
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def set_welcome(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel,
        message: app_commands.Range[str, 1, MAX_TEMPLATE_LENGTH] | None = None,
        card: bool = False,
    ) -> None:
        guild = _guild(interaction)
        check_can_post(channel, with_picture=card)
        config = await self.store.update(
            guild.id,
            welcome_channel_id=channel.id,
            welcome_message=check_template(message) if message is not None else None,
            welcome_card=card,
        )
        await self._saved(interaction, config, "Welcome message set")

    @app_commands.command(name="goodbye", description="Post a note when someone leaves.")
    @app_commands.describe(
        channel="Where to post it.",
        message="The text; placeholders {name} {server} {member_count}. Left out: the default.",
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def set_goodbye(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel,
        message: app_commands.Range[str, 1, MAX_TEMPLATE_LENGTH] | None = None,
    ) -> None:
        guild = _guild(interaction)
        check_can_post(channel, with_picture=False)
        config = await self.store.update(
            guild.id,
            goodbye_channel_id=channel.id,
            goodbye_message=check_template(message) if message is not None else None,
        )
        await self._saved(interaction, config, "Goodbye message set")

    @app_commands.command(name="off", description="Stop the welcome or goodbye messages.")
    @app_commands.choices(which=WHICH_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def turn_off(self, interaction: discord.Interaction[FleetBot], which: str) -> None:
        guild = _guild(interaction)
        changes: dict[str, None] = {}
        if which in {"welcome", "both"}:
            changes["welcome_channel_id"] = None
        if which in {"goodbye", "both"}:
            changes["goodbye_channel_id"] = None
        config = await self.store.update(guild.id, **changes)
        await self._saved(interaction, config, f"{which.capitalize()} messages off")

    @app_commands.command(name="show", description="The current welcome and goodbye settings.")
    @requires_permission(PermissionLevel.ADMIN)
    async def show(self, interaction: discord.Interaction[FleetBot]) -> None:
        config = await self.store.get(_guild(interaction).id)
        embed = create_embed(
            title="Welcome settings",
            description=f"Placeholders: {placeholder_help()}.",
            color=self.bot.settings.colors.info,
            fields=describe(config),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="preview", description="See the messages as a newcomer would.")
    @requires_permission(PermissionLevel.ADMIN)
    async def preview(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = _guild(interaction)
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise UserError("Use this command in the server whose messages you want to see.")
        config = await self.store.get(guild.id)
        facts = facts_of(member)
        status = "" if config.welcome_channel_id else " (off: turn it on with /welcome set)"
        text = (
            f"**Welcome**{status}:\n{render(config.welcome_template, facts)}\n\n"
            f"**Goodbye**:\n{render(config.goodbye_template, facts)}"
        )
        files = []
        if config.welcome_card:
            files.append(await welcome_card_file(member, self.bot.settings.colors.primary))
        await interaction.response.send_message(
            truncate_string(text, 2000), files=files, ephemeral=True, allowed_mentions=NO_PINGS
        )
