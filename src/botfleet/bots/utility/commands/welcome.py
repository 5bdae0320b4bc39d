"""/welcome: admins set the welcome and goodbye messages, and preview them before members do."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, ensure_bot_can, requires_permission
from botfleet.auth.roles import discord_role_problem
from botfleet.bots.utility.events.welcome import facts_of, welcome_card_file
from botfleet.bots.utility.services.welcome import (
    MAX_TEMPLATE_LENGTH,
    WelcomeConfig,
    WelcomeStore,
    check_join_delay,
    check_template,
    placeholder_help,
    render,
    with_join_role,
)
from botfleet.core.answers import answer_in_time
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed, format_time, parse_time, truncate_string
from botfleet.utils.places import server_of
from botfleet.utils.wording import role_label

SERVER_ONLY: Final = "Welcome messages belong to a server; use this command in one."

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
WHICH_CHOICES: Final = [
    app_commands.Choice(name="welcome", value="welcome"),
    app_commands.Choice(name="goodbye", value="goodbye"),
    app_commands.Choice(name="both", value="both"),
]


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
    join_roles = " ".join(f"<@&{role_id}>" for role_id in config.join_role_ids) or "none"
    if config.join_role_ids and config.join_role_delay:
        join_roles += f" (after {format_time(config.join_role_delay)})"
    return [
        ("Welcome", welcome, True),
        ("Goodbye", goodbye, True),
        ("Join roles", join_roles, True),
        ("Welcome text", truncate_string(config.welcome_template, 1000), False),
        ("Goodbye text", truncate_string(config.goodbye_template, 1000), False),
    ]


@app_commands.guild_only()
class WelcomeCommands(
    commands.GroupCog, group_name="welcome", group_description="Greet members who join."
):
    """Admin settings of the welcome and goodbye messages."""

    roles = app_commands.Group(name="roles", description="Roles given to members who join.")

    def __init__(self, bot: FleetBot, store: WelcomeStore) -> None:
        self.bot = bot
        self.store = store
        super().__init__()

    @roles.command(name="add", description="Give this role to everyone who joins.")
    @app_commands.describe(role="A role below mine, without moderator permissions.")
    @requires_permission(PermissionLevel.ADMIN)
    async def add_join_role(
        self, interaction: discord.Interaction[FleetBot], role: discord.Role
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        problem = discord_role_problem(role)
        if problem is not None:
            raise UserError(f"I can't give that role on join: {problem}")
        config = await self.store.get(guild.id)
        roles = with_join_role(config.join_role_ids, role.id)
        config = await self.store.update(guild.id, join_role_ids=roles)
        await self._saved(interaction, config, f"{role_label(role.name)} is given on join")

    @roles.command(name="remove", description="Stop giving this role on join.")
    @requires_permission(PermissionLevel.ADMIN)
    async def remove_join_role(
        self, interaction: discord.Interaction[FleetBot], role: discord.Role
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        config = await self.store.get(guild.id)
        if role.id not in config.join_role_ids:
            raise UserError(
                f"{role_label(role.name)} is not given on join; /welcome show lists those that are."
            )
        roles = tuple(role_id for role_id in config.join_role_ids if role_id != role.id)
        config = await self.store.update(guild.id, join_role_ids=roles)
        await self._saved(
            interaction, config, f"{role_label(role.name)} is no longer given on join"
        )

    @roles.command(name="delay", description="Wait before giving the join roles (0: at once).")
    @app_commands.describe(wait="How long after joining, e.g. 10m or 1h; 0 for at once.")
    @requires_permission(PermissionLevel.ADMIN)
    async def join_role_delay(
        self, interaction: discord.Interaction[FleetBot], wait: app_commands.Range[str, 1, 40]
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        seconds = 0 if wait.strip() in {"0", "none", "off"} else parse_time(wait)
        config = await self.store.update(guild.id, join_role_delay=check_join_delay(seconds))
        when = f"{format_time(seconds)} after joining" if seconds else "at once"
        await self._saved(interaction, config, f"Join roles are given {when}")

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
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
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
        config = await self.store.get(server_of(interaction, SERVER_ONLY).id)
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
        guild = server_of(interaction, SERVER_ONLY)
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise UserError("Use this command in the server whose messages you want to see.")
        # The card may wait on the avatar.
        async with answer_in_time(interaction, "preview", ephemeral=True) as answer:
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
            await answer.send(truncate_string(text, 2000), files=files, allowed_mentions=NO_PINGS)
