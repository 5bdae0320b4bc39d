"""The Utility Bot: welcome messages and role menus need member and reaction events."""

import discord

from botfleet import BOT_PREFIXES
from botfleet.core.definition import BotDefinition, base_intents


def utility_intents() -> discord.Intents:
    """Members (welcome, auto-roles) and reactions (role menus) on top of the base."""
    intents = base_intents()
    intents.members = True
    intents.guild_reactions = True
    return intents


DEFINITION = BotDefinition(
    name="utility",
    display_name="Utility Bot",
    prefix=BOT_PREFIXES["utility"],
    intents=utility_intents,
)
