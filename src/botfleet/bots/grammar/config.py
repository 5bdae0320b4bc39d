"""The Grammar Bot's own options: the ``options:`` section of ``config/bots/grammar.yaml``."""

from __future__ import annotations

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from botfleet.bots.grammar.services.engine import LANGUAGE_CODE
from botfleet.bots.grammar.services.issues import Strictness


class GrammarOptions(BaseModel):
    """Which engines check, and how much text; every option has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = Field(
        default="en-US",
        pattern=LANGUAGE_CODE.pattern,
        description="The language checked, with its region for the dialect (en-US, en-GB...).",
    )
    max_check_length: int = Field(
        default=1500, ge=20, le=4000, description="Characters one check takes at most."
    )
    harper: bool = Field(
        default=True, description="Check with Harper (offline grammar rules, harper-py)."
    )
    rules: bool = Field(
        default=True,
        description="Check with the bot's own pattern rules (spaCy's English tagger).",
    )
    spelling: bool = Field(
        default=True, description="Check spelling with pyspellchecker (offline dictionaries)."
    )
    languagetool_url: AnyHttpUrl | None = Field(
        default=None,
        description="A LanguageTool server to check with too (its root, or its /v2 address).",
    )
    languagetool_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for the LanguageTool server."
    )
    auto_check_min_words: int = Field(
        default=3, ge=1, le=50, description="Words a message needs before auto-check reads it."
    )
    auto_check_strictness: Strictness = Field(
        default=Strictness.NORMAL,
        description="What auto-check channels point out unless an admin chooses otherwise.",
    )
    daily_clean_rewards: int = Field(
        default=20,
        ge=0,
        le=500,
        description="Clean checks a day that report a grammar:clean game result (XP) per member.",
    )
