"""Permission levels shared by every bot: user < moderator < admin < bot owner.

One resolver decides a member's level from the bot owner list, the guild's configured moderator
and admin roles, and the member's Discord permissions; one check (`requires_permission`) guards
both slash and prefix commands with it, so comparisons read as ``level >= PermissionLevel.ADMIN``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.config.schema import PermissionsSection
from botfleet.errors import UserError

T = TypeVar("T")

MODERATOR_PERMISSIONS = ("manage_messages", "kick_members", "ban_members", "moderate_members")
"""Holding any of these Discord permissions makes a member a moderator for botfleet."""


class PermissionLevel(enum.IntEnum):
    """Ordered privilege levels; a higher level includes every lower one."""

    USER = 0
    MODERATOR = 1
    ADMIN = 2
    BOT_OWNER = 3

    @classmethod
    def parse(cls, value: PermissionLevel | str) -> PermissionLevel:
        """Accept a level or its name ("moderator", "bot_owner", "bot owner", "owner")."""
        if isinstance(value, PermissionLevel):
            return value
        name = value.strip().lower().replace(" ", "_")
        if name == "owner":
            name = "bot_owner"
        try:
            return cls[name.upper()]
        except KeyError:
            valid = ", ".join(level.name.lower() for level in cls)
            raise ValueError(f"unknown permission level {value!r}; use one of: {valid}") from None

    @property
    def label(self) -> str:
        """The level as members read it: "bot owner", "admin"..."""
        return self.name.lower().replace("_", " ")


class MissingPermissionLevel(app_commands.CheckFailure, commands.CheckFailure):
    """Raised by the check when the invoker's level is below the command's requirement."""

    def __init__(self, required: PermissionLevel, actual: PermissionLevel) -> None:
        self.required = required
        self.actual = actual
        super().__init__(f"This command is for {required.label}s and above.")


def level_from_member(
    member: discord.Member | discord.User,
    *,
    config: PermissionsSection,
    is_bot_owner: bool,
) -> PermissionLevel:
    """Resolve the level of ``member`` (a plain User outside guilds is a user unless owner).

    Configured roles are matched by id, never by name: anyone with Manage Roles could create
    a role with a privileged name.
    """
    if is_bot_owner:
        return PermissionLevel.BOT_OWNER
    if not isinstance(member, discord.Member):
        return PermissionLevel.USER
    permissions = member.guild_permissions
    if (
        member.guild.owner_id == member.id
        or permissions.administrator
        or permissions.manage_guild
        or any(role.id in config.admin_roles for role in member.roles)
    ):
        return PermissionLevel.ADMIN
    if any(getattr(permissions, name) for name in MODERATOR_PERMISSIONS) or any(
        role.id in config.moderator_roles for role in member.roles
    ):
        return PermissionLevel.MODERATOR
    return PermissionLevel.USER


async def resolve_level(
    bot: commands.Bot | commands.AutoShardedBot, member: discord.Member | discord.User
) -> PermissionLevel:
    """The level of ``member`` for ``bot`` (which must carry ``settings.permissions``)."""
    settings = getattr(bot, "settings", None)
    config = settings.permissions if settings is not None else PermissionsSection()
    is_owner = await bot.is_owner(member)
    return level_from_member(member, config=config, is_bot_owner=is_owner)


def requires_permission(level: PermissionLevel | str) -> Callable[[T], T]:
    """Guard a slash or prefix command so only members at ``level`` or above may run it.

    Apply it under the command decorator, like discord.py's own checks.
    """
    required = PermissionLevel.parse(level)

    async def check_interaction(interaction: discord.Interaction[Any]) -> bool:
        bot = interaction.client
        if not isinstance(bot, commands.Bot | commands.AutoShardedBot):
            raise TypeError("requires_permission needs a commands.Bot client")
        actual = await resolve_level(bot, interaction.user)
        if actual < required:
            raise MissingPermissionLevel(required, actual)
        return True

    async def check_context(ctx: commands.Context[Any]) -> bool:
        actual = await resolve_level(ctx.bot, ctx.author)
        if actual < required:
            raise MissingPermissionLevel(required, actual)
        return True

    def decorator(func: T) -> T:
        if isinstance(func, commands.Command):
            func.checks.append(check_context)
            return func
        decorated = app_commands.check(check_interaction)(func)
        if isinstance(decorated, app_commands.Command | app_commands.ContextMenu):
            return decorated
        return commands.check(check_context)(decorated)

    return decorator


def ensure_bot_can(
    channel: discord.abc.GuildChannel | discord.Thread, names: Iterable[str], doing: str
) -> None:
    """Refuse, naming what is missing, a channel where the bot lacks permission ``names``
    (discord.Permissions attribute names) for ``doing`` ("post the menu", "check messages")."""
    granted = channel.permissions_for(channel.guild.me)
    missing = [name for name in names if not getattr(granted, name)]
    if missing:
        labels = ", ".join(name.replace("_", " ").title() for name in missing)
        raise UserError(
            f"I can't {doing} in {channel.mention}: I'm missing {labels} there. "
            "Give my role that permission there, or pick another channel."
        )
