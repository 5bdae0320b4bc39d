"""The Mod Bot: it watches members and messages, so it asks for more intents than the others."""

import discord

from botfleet.bots.mod.config import ModOptions
from botfleet.core.definition import BotDefinition, base_intents, base_permissions


def mod_intents() -> discord.Intents:
    """Members (joins, role changes), moderation (bans) and reactions on top of the base."""
    intents = base_intents()
    intents.members = True
    intents.moderation = True
    intents.guild_reactions = True
    return intents


def mod_permissions() -> discord.Permissions:
    """On top of the base: what its commands do (kick, ban, timeout, purge, slowmode, lock)."""
    permissions = base_permissions()
    permissions.kick_members = True
    permissions.ban_members = True
    permissions.moderate_members = True
    permissions.manage_messages = True
    permissions.manage_channels = True
    permissions.manage_roles = True
    return permissions


DEFINITION = BotDefinition(
    name="mod",
    display_name="Mod Bot",
    prefix="m!",
    extensions=("botfleet.bots.mod.commands",),
    intents=mod_intents,
    permissions=mod_permissions,
    options_model=ModOptions,
    privacy_modules=("botfleet.bots.mod.services.records",),
    models_modules=("botfleet.database.models.mod",),
)
