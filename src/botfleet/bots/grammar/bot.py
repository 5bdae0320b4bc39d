"""The Grammar Bot: what it is called, which intents and extensions it runs with."""

from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(name="grammar", display_name="Grammar Bot")
