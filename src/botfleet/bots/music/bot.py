"""The Music Bot: it follows voice channels, so it needs voice states."""

import discord

from botfleet.core.definition import BotDefinition, NoOptions, base_intents


def music_intents() -> discord.Intents:
    """Voice states (who is in which voice channel) on top of the base."""
    intents = base_intents()
    intents.voice_states = True
    return intents


DEFINITION = BotDefinition(
    name="music",
    display_name="Music Bot",
    prefix="mu!",
    options_model=NoOptions,
    intents=music_intents,
)
