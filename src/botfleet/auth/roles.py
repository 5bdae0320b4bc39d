"""Which roles a bot may hand out on its own (role menus, level rewards, join roles).

One rule for every feature that gives roles without a moderator choosing each time: the role
must be one the bot can give (below its highest role, not managed by Discord or an integration,
not @everyone, with Manage Roles granted) and it must grant none of
:data:`DANGEROUS_PERMISSIONS`, since anyone who picks it, earns it or joins would get them.
The rule works on plain facts (:class:`RoleFacts`, :class:`BotFacts`) so it is tested without
Discord; :func:`role_facts` and :func:`bot_facts` read them off discord.py objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import discord

from botfleet.utils.helpers import truncate_string
from botfleet.utils.wording import role_label

DANGEROUS_PERMISSIONS: Final[Mapping[str, str]] = {
    "administrator": "Administrator",
    "manage_guild": "Manage Server",
    "manage_roles": "Manage Roles",
    "manage_channels": "Manage Channels",
    "manage_webhooks": "Manage Webhooks",
    "manage_expressions": "Manage Expressions",
    "manage_messages": "Manage Messages",
    "manage_threads": "Manage Threads",
    "manage_nicknames": "Manage Nicknames",
    "manage_events": "Manage Events",
    "view_audit_log": "View Audit Log",
    "ban_members": "Ban Members",
    "kick_members": "Kick Members",
    "moderate_members": "Time Out Members",
    "mute_members": "Mute Members",
    "deafen_members": "Deafen Members",
    "move_members": "Move Members",
    "mention_everyone": "Mention @everyone, @here and All Roles",
}
"""Permissions no automatically given role may grant (discord.py's flag names, and how
Discord's settings name them): each lets a member moderate, reconfigure or mass-ping."""


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What the rule needs to know of a Discord role."""

    id: int
    name: str
    position: int
    managed: bool = False
    is_default: bool = False
    permissions: frozenset[str] = frozenset()
    """The names of the permissions it grants (discord.py's flag names)."""


@dataclass(frozen=True, slots=True)
class BotFacts:
    """The bot's standing in the guild: whether and up to where it may hand out roles."""

    top_role_position: int
    top_role_name: str
    can_manage_roles: bool


def role_facts(role: discord.Role) -> RoleFacts:
    return RoleFacts(
        id=role.id,
        name=role.name,
        position=role.position,
        managed=role.managed,
        is_default=role.is_default(),
        permissions=frozenset(name for name, granted in role.permissions if granted),
    )


def bot_facts(guild: discord.Guild) -> BotFacts:
    me = guild.me
    return BotFacts(
        top_role_position=me.top_role.position,
        top_role_name=me.top_role.name,
        can_manage_roles=me.guild_permissions.manage_roles,
    )


def role_problem(role: RoleFacts, bot: BotFacts) -> str | None:
    """Why the bot may not hand ``role`` out by itself, or None when it may."""
    name = truncate_string(role.name, 60)
    if role.is_default:
        return "@everyone belongs to every member already; it cannot be handed out."
    if role.managed:
        return (
            f"{role_label(name)} is managed by Discord or an integration (a bot's own role, the "
            "server booster role, or a linked service's role), so nobody can give it by hand."
        )
    if not bot.can_manage_roles:
        return (
            "I need the Manage Roles permission to hand out roles; ask an admin to grant it "
            "to my role."
        )
    if role.position >= bot.top_role_position:
        return (
            f"{role_label(name)} sits at or above my highest role "
            f"({role_label(bot.top_role_name)}), so Discord "
            f"won't let me give it. Move @{bot.top_role_name} above it in Server Settings → "
            "Roles, then try again."
        )
    dangerous = [label for flag, label in DANGEROUS_PERMISSIONS.items() if flag in role.permissions]
    if dangerous:
        return (
            f"{role_label(name)} grants {', '.join(dangerous)}: too much power to hand out "
            "without a moderator choosing. Use a role without those permissions."
        )
    return None


def discord_role_problem(role: discord.Role) -> str | None:
    """:func:`role_problem` for a discord.py role, in its own guild."""
    return role_problem(role_facts(role), bot_facts(role.guild))
