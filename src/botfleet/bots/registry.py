"""Find a bot's definition by its fleet name without importing every bot."""

from importlib import import_module

from botfleet import BOT_NAMES
from botfleet.core.definition import BotDefinition


def get_definition(name: str) -> BotDefinition:
    """The definition declared in ``botfleet.bots.<name>.bot``."""
    if name not in BOT_NAMES:
        raise KeyError(f"unknown bot {name!r}; the bots are: {', '.join(BOT_NAMES)}")
    definition: BotDefinition = import_module(f"botfleet.bots.{name}.bot").DEFINITION
    return definition
