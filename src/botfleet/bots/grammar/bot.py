"""The Grammar Bot: what it is called, which intents, permissions and extensions it runs with."""

import discord

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.core.definition import BotDefinition, base_intents, base_permissions


def grammar_intents() -> discord.Intents:
    """Message content (auto-check reads messages) and reactions (📝 asks for details)."""
    intents = base_intents()
    intents.message_content = True
    intents.guild_reactions = True
    return intents


def grammar_permissions() -> discord.Permissions:
    """Add Reactions on top of the base: auto-check marks a message it has advice for with 📝."""
    permissions = base_permissions()
    permissions.add_reactions = True
    return permissions


DEFINITION = BotDefinition(
    name="grammar",
    display_name="Grammar Bot",
    prefix="g!",
    extensions=("botfleet.bots.grammar.commands", "botfleet.core.extensions.ai"),
    intents=grammar_intents,
    permissions=grammar_permissions,
    options_model=GrammarOptions,
    privacy_modules=("botfleet.bots.grammar.services.store",),
    models_modules=("botfleet.database.models.grammar",),
    walkthrough=(
        '/grammar check text:"Their going to the park tomorow."',
        ":expect issues found",
        ":press Apply all",
        ":expect They're going to the park tomorrow.",
        '/grammar check text:"I have an apple and a banana."',
        ":expect The checker found nothing",
        "/grammar stats",
        ":expect Clean checks",
        "/grammar quiz",
        ":expect Quiz",
    ),
)
