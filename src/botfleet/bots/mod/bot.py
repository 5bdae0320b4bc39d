"""The Mod Bot: it watches members and messages, so it asks for more intents than the others."""

import discord

from botfleet.bots.mod.config import ModOptions
from botfleet.core.definition import BotDefinition, base_intents


def mod_intents() -> discord.Intents:
    """Members (joins, role changes), moderation (bans) and reactions on top of the base."""
    intents = base_intents()
    intents.members = True
    intents.moderation = True
    intents.guild_reactions = True
    return intents


DEFINITION = BotDefinition(
    name="mod",
    display_name="Mod Bot",
    prefix="m!",
    intents=mod_intents,
    options_model=ModOptions,
    privacy_modules=("botfleet.bots.mod.services.records",),
    models_modules=("botfleet.database.models.mod",),
)
