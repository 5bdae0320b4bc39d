"""The Spelling Bee Bot: what it is called, which intents and extensions it runs with."""

from botfleet import BOT_PREFIXES
from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(
    name="spelling_bee", display_name="Spelling Bee Bot", prefix=BOT_PREFIXES["spelling_bee"]
)
