"""The Spelling Bee Bot: what it is called, which intents and extensions it runs with."""

from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(name="spelling_bee", display_name="Spelling Bee Bot")
