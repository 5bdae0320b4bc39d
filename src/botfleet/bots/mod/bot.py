"""The Mod Bot: it watches members and messages, so it asks for more intents than the others."""

import discord

from botfleet.bots.mod.config import ModOptions
from botfleet.core.definition import BotDefinition, base_intents, base_permissions


def mod_intents() -> discord.Intents:
    """Members (joins, role changes), moderation (bans, the audit log), reactions, and Discord's
    AutoMod (its rules and what they did) on top of the base."""
    intents = base_intents()
    intents.members = True
    intents.moderation = True
    intents.guild_reactions = True
    intents.auto_moderation_configuration = True
    intents.auto_moderation_execution = True
    return intents


def mod_permissions() -> discord.Permissions:
    """On top of the base: what its commands and automod do (kick, ban, timeout, purge,
    slowmode, lock), the audit log it reads, and Manage Server for Discord's own AutoMod rules."""
    permissions = base_permissions()
    permissions.kick_members = True
    permissions.ban_members = True
    permissions.moderate_members = True
    permissions.manage_messages = True
    permissions.manage_channels = True
    permissions.manage_roles = True
    permissions.view_audit_log = True
    permissions.manage_guild = True
    return permissions


DEFINITION = BotDefinition(
    name="mod",
    display_name="Mod Bot",
    prefix="m!",
    extensions=(
        "botfleet.bots.mod.commands",
        "botfleet.bots.mod.commands.automod",
        "botfleet.bots.mod.commands.appeals",
    ),
    intents=mod_intents,
    permissions=mod_permissions,
    options_model=ModOptions,
    privacy_modules=(
        "botfleet.bots.mod.services.records",
        "botfleet.bots.mod.services.appeals",
    ),
    models_modules=("botfleet.database.models.mod", "botfleet.database.models.mod_defence"),
)
