"""The Music Bot: it follows voice channels, so it needs voice states."""

import discord

from botfleet import BOT_PREFIXES
from botfleet.core.definition import BotDefinition, base_intents


def music_intents() -> discord.Intents:
    """Voice states (who is in which voice channel) on top of the base."""
    intents = base_intents()
    intents.voice_states = True
    return intents


DEFINITION = BotDefinition(
    name="music", display_name="Music Bot", prefix=BOT_PREFIXES["music"], intents=music_intents
)
