"""The two forms of the game: guessing the whole word, and giving a word of one's own.

A modal is private to the member who opened it, so a word typed into "Your own word" is seen
by nobody else. Both hand what was typed to the Hangman cog, which answers every problem in
plain words. Each open form has a custom_id of its own: discord.py finds a submitted form by
it, and two members guessing the same game at once must each get their own form back.
"""

from __future__ import annotations

import secrets
from typing import Any

import discord

from botfleet.bots.hangman.services.game import MAX_WORD_GUESS_LENGTH
from botfleet.bots.hangman.services.words import MAX_SECRET_LENGTH, MIN_SECRET_LETTERS
from botfleet.bots.hangman.views.buttons import actions_of


class WordGuessModal(discord.ui.Modal, title="Guess the word"):
    """One text input: the whole word (a wrong guess costs a life)."""

    guess: discord.ui.TextInput[WordGuessModal] = discord.ui.TextInput(
        label="Your guess (a wrong guess costs a life)",
        placeholder="The whole word or phrase",
        min_length=1,
        max_length=MAX_WORD_GUESS_LENGTH,
    )

    def __init__(self, game_id: int) -> None:
        super().__init__(custom_id=f"hangman:{game_id}:word-guess:{secrets.token_hex(6)}")
        self.game_id = game_id

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.submit_word(interaction, self.game_id, self.guess.value)


class OwnWordModal(discord.ui.Modal, title="Your word for Hangman"):
    """The member's secret word or short phrase, for others to guess."""

    word: discord.ui.TextInput[OwnWordModal] = discord.ui.TextInput(
        label="Word or short phrase (only you see this)",
        placeholder="e.g. hippopotamus",
        min_length=MIN_SECRET_LETTERS,
        max_length=MAX_SECRET_LENGTH,
    )

    def __init__(self, player_id: int | None) -> None:
        super().__init__(custom_id=f"hangman:own-word:{secrets.token_hex(6)}")
        self.player_id = player_id

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.submit_own_word(interaction, self.word.value, self.player_id)
