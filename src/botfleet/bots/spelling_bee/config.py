"""The Spelling Bee Bot's options: the ``options:`` section of its ``config/bots/`` file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SpellingBeeOptions(BaseModel):
    """How the puzzle is played; every option has a default, so the section may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen_in_channel: bool = Field(
        default=True,
        description="Whether one-word messages in the puzzle channel count as guesses.",
    )
    hints: bool = Field(default=True, description="Whether /bee hints may be used.")
