"""The Spelling Bee Bot's options: the ``options:`` section of its ``config/bots/`` file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from botfleet.bots.spelling_bee.services.classic_words import Difficulty


class SpellingBeeOptions(BaseModel):
    """How the puzzle and the classic mode are played; every option has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen_in_channel: bool = Field(
        default=True,
        description="Whether one-word messages in the puzzle channel count as guesses.",
    )
    hints: bool = Field(default=True, description="Whether /bee hints may be used.")
    classic_difficulty: Difficulty = Field(
        default=Difficulty.MEDIUM, description="The difficulty of /bee classic without one."
    )
    classic_rounds: int = Field(
        default=10, ge=1, le=50, description="Words in a game of /bee classic without rounds."
    )
    classic_lives: int = Field(
        default=3, ge=1, le=10, description="Misses a solo game of /bee classic allows."
    )
    round_seconds: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="Seconds to spell a word; an unanswered word ends a solo game and "
        "eliminates the player on turn.",
    )
    lobby_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds members have to join an elimination round.",
    )
    speech: bool = Field(
        default=True,
        description="Whether words are spoken (needs espeak-ng; ffmpeg makes the files small).",
    )
    speech_voice: str = Field(
        default="en-us",
        pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$",
        description="The espeak-ng voice the words are spoken with (en-us, en-gb...).",
    )
    speech_cache_mb: int = Field(
        default=20, ge=1, le=1000, description="Megabytes of spoken words kept on disk."
    )
    leaderboard_size: int = Field(
        default=10,
        ge=1,
        le=25,
        description="Members shown by /bee leaderboard and /bee spellers.",
    )
