"""The Hangman Bot: what it is called, which intents and extensions it runs with."""

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.core.definition import BotDefinition

DEFINITION = BotDefinition(
    name="hangman",
    display_name="Hangman Bot",
    prefix="h!",
    extensions=("botfleet.bots.hangman.commands",),
    options_model=HangmanOptions,
    privacy_modules=("botfleet.bots.hangman.services.store",),
    models_modules=("botfleet.database.models.hangman",),
    walkthrough=(
        "/{bot} categories",
        ":expect animals",
        "/{bot} start category:animals difficulty:easy",
        ":expect Lives",
        ":press E",
        ":press Give up",
        ":expect the word was",
        "/{bot} stats",
        ":expect Played: 1",
    ),
)
