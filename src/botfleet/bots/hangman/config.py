"""The Hangman Bot's own options: the ``options:`` section of ``config/bots/hangman.yaml``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from botfleet.bots.hangman.services.words import Difficulty


class HangmanOptions(BaseModel):
    """How games run; every option has a default, so the section may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inactivity_timeout: float = Field(
        default=600.0,
        gt=0,
        le=7 * 24 * 3600,
        description="Seconds without a move before a game ends and the word is told.",
    )
    hints: bool = Field(default=True, description="Whether players may buy a letter for a life.")
    default_difficulty: Difficulty = Field(
        default=Difficulty.MEDIUM, description="The difficulty of /hangman start without one."
    )
    max_guild_lists: int = Field(
        default=25, ge=1, le=100, description="Custom word lists one server may keep."
    )
    max_words_per_list: int = Field(
        default=500, ge=1, le=5000, description="Words one custom list may hold."
    )
    premium_max_guild_lists: int = Field(
        default=100,
        ge=1,
        le=500,
        description="Custom word lists a server may keep where premium covers the admin adding.",
    )
    premium_max_words_per_list: int = Field(
        default=2000, ge=1, le=5000, description="Words one custom list may hold with premium."
    )
    leaderboard_size: int = Field(
        default=10, ge=1, le=25, description="Members shown by /hangman leaderboard."
    )
