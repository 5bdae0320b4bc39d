"""The Spelling Bee Bot: what it is called, which permissions and extensions it runs with."""

import discord

from botfleet.bots.spelling_bee.config import SpellingBeeOptions
from botfleet.core.definition import BotDefinition, base_permissions


def spelling_bee_permissions() -> discord.Permissions:
    """Attach Files on top of the base: the puzzle's hive picture and the spoken words."""
    permissions = base_permissions()
    permissions.attach_files = True
    return permissions


DEFINITION = BotDefinition(
    name="spelling_bee",
    display_name="Spelling Bee Bot",
    prefix="sb!",
    extensions=("botfleet.bots.spelling_bee.commands",),
    permissions=spelling_bee_permissions,
    options_model=SpellingBeeOptions,
    privacy_modules=(
        "botfleet.bots.spelling_bee.services.store",
        "botfleet.bots.spelling_bee.services.classic_store",
    ),
    models_modules=(
        "botfleet.database.models.spelling_bee",
        "botfleet.database.models.spelling_bee_classic",
    ),
    walkthrough=(
        "/bee today",
        ":expect Spelling Bee",
        "/bee guess word:zzz",
        ":expect ZZZ",
        "/bee hints",
        ":expect Two-letter starts",
        "/bee status",
        ":expect Rank",
        "/bee classic difficulty:easy rounds:2",
        ":expect A classic spelling bee",
        "/bee stop",
        ":expect Spelling bee stopped",
    ),
)
