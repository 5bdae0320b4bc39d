"""The Hangman Bot: what it is called, which intents and extensions it runs with."""

from botfleet import BOT_PREFIXES
from botfleet.bots.hangman.config import HangmanOptions
from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(
    name="hangman",
    display_name="Hangman Bot",
    prefix=BOT_PREFIXES["hangman"],
    extensions=("botfleet.bots.hangman.commands",),
    options_model=HangmanOptions,
)

WALKTHROUGH = (
    "/{bot} categories",
    ":expect animals",
    "/{bot} start category:animals difficulty:easy",
    ":expect Lives",
    ":press E",
    ":press Give up",
    ":expect the word was",
    "/{bot} stats",
    ":expect Played: 1",
)
"""What `botfleet sandbox` shows of the Hangman Bot when it plays its walkthrough."""
