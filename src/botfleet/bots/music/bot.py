"""The Music Bot: it follows voice channels, so it needs voice states."""

import discord

from botfleet.bots.music.config import MusicOptions
from botfleet.core.definition import BotDefinition, base_intents, base_permissions


def music_intents() -> discord.Intents:
    """Voice states (who is in which voice channel) on top of the base."""
    intents = base_intents()
    intents.voice_states = True
    return intents


def music_permissions() -> discord.Permissions:
    """On top of the base: join and speak in voice, and attach exported playlists."""
    permissions = base_permissions()
    permissions.connect = True
    permissions.speak = True
    permissions.attach_files = True
    return permissions


DEFINITION = BotDefinition(
    name="music",
    display_name="Music Bot",
    prefix="mu!",
    extensions=("botfleet.bots.music.commands",),
    options_model=MusicOptions,
    intents=music_intents,
    permissions=music_permissions,
    privacy_modules=("botfleet.bots.music.services.playlists",),
    models_modules=("botfleet.database.models.music",),
)
