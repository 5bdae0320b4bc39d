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
    intents.auto_moderation_execution = True
    return intents


def mod_permissions() -> discord.Permissions:
    """On top of the base: what automod acts with, and the audit log it reads."""
    permissions = base_permissions()
    permissions.manage_messages = True
    permissions.moderate_members = True
    permissions.kick_members = True
    permissions.ban_members = True
    permissions.view_audit_log = True
    return permissions


DEFINITION = BotDefinition(
    name="mod",
    display_name="Mod Bot",
    prefix="m!",
    extensions=("botfleet.bots.mod.commands.automod",),
    intents=mod_intents,
    permissions=mod_permissions,
    options_model=ModOptions,
    privacy_modules=("botfleet.bots.mod.services.records",),
    models_modules=("botfleet.database.models.mod",),
)
