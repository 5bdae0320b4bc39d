"""The Utility Bot: what it is called, which intents, permissions and extensions it runs with."""

import discord

from botfleet.bots.utility.config import UtilityOptions
from botfleet.core.definition import BotDefinition, base_intents, base_permissions


def utility_intents() -> discord.Intents:
    """Members (welcome, auto-roles, /roleinfo counts) and reactions on top of the base."""
    intents = base_intents()
    intents.members = True
    intents.guild_reactions = True
    return intents


def utility_permissions() -> discord.Permissions:
    """On top of the base: Manage Roles (role menus, join roles, and the level rewards of the
    XP commands it hosts by default), Attach Files (welcome cards, poll charts, rank cards) and
    Send Polls (/poll create posts a Discord poll)."""
    permissions = base_permissions()
    permissions.manage_roles = True
    permissions.attach_files = True
    permissions.send_polls = True
    return permissions


DEFINITION = BotDefinition(
    name="utility",
    display_name="Utility Bot",
    prefix="u!",
    extensions=("botfleet.bots.utility.commands",),
    intents=utility_intents,
    permissions=utility_permissions,
    options_model=UtilityOptions,
    privacy_modules=(
        "botfleet.bots.utility.services.polls",
        "botfleet.bots.utility.services.reminders",
        "botfleet.bots.utility.services.tags",
        "botfleet.bots.utility.services.timezones",
    ),
    models_modules=(
        "botfleet.database.models.community",
        "botfleet.database.models.polls",
        "botfleet.database.models.role_menus",
        "botfleet.database.models.utility",
    ),
    walkthrough=(
        "/timezone set zone:Europe/Paris",
        ":expect Europe/Paris",
        '/remind when:"in 1h" what:"stretch your legs"',
        ":expect Reminder #",
        "/reminders list",
        ":expect stretch your legs",
        "/fleet status",
        ":expect Utility Bot",
        "/serverinfo",
        ":expect Members",
    ),
)
