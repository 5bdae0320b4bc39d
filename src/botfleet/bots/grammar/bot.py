"""The Grammar Bot: what it is called, which intents and extensions it runs with."""

from botfleet import BOT_PREFIXES
from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(
    name="grammar", display_name="Grammar Bot", prefix=BOT_PREFIXES["grammar"]
)
