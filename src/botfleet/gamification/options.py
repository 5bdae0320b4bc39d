"""Fleet-wide defaults of the gamification framework; each guild may override the XP rules.

:class:`GamificationOptions` has the shape of a configuration section (unknown keys are errors),
so the configuration can carry it as ``gamification:``. A guild's own choices live in the
``guild_xp_settings`` table (see :mod:`botfleet.gamification.guild_settings`); a value the guild
never set follows these defaults, including when the defaults change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from botfleet import bot_names
from botfleet.config import validate_section
from botfleet.config.schema import Settings
from botfleet.gamification.levels import LevelCurve

MAX_AWARD: Final = 100_000
"""Largest XP amount one event may earn; keeps a buggy caller from flooding the boards."""

MAX_COOLDOWN_SECONDS: Final = 24 * 3600


class AnnouncementMode(StrEnum):
    """Where a guild's level-ups are announced."""

    CHANNEL = "channel"
    """In the channel where the XP that caused it was earned."""
    CHOSEN_CHANNEL = "chosen_channel"
    """In one channel the admins picked."""
    DM = "dm"
    """In a direct message to the member."""
    OFF = "off"


class RoleRewardMode(StrEnum):
    """How level role rewards combine as a member climbs."""

    STACK = "stack"
    """Keep every reward role earned so far."""
    REPLACE = "replace"
    """Keep only the roles of the highest reward level reached."""


DEFAULT_GAME_XP: Final[dict[str, int]] = {
    "win": 25,
    "draw": 10,
    "loss": 5,
    "pangram": 50,
    "correct_spelling": 5,
    "clean": 5,
    "quiz_correct": 10,
    "quiz_week": 25,
}
"""XP per game outcome a bot reports; an outcome not listed earns no XP but still counts."""


class GamificationOptions(BaseModel):
    """Defaults for every guild, the level curve, premium boosts and the write-behind buffer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host_bot: str = Field(
        default="utility",
        description="The bot that hosts /rank, /leaderboard, /achievements, /xp and /levels, "
        "so six bots in one guild show these commands once.",
    )
    curve: LevelCurve = Field(default_factory=LevelCurve)
    command_xp: int = Field(default=5, ge=0, le=MAX_AWARD)
    message_xp_min: int = Field(default=15, ge=0, le=MAX_AWARD)
    message_xp_max: int = Field(default=25, ge=0, le=MAX_AWARD)
    message_cooldown_seconds: int = Field(default=60, ge=1, le=MAX_COOLDOWN_SECONDS)
    game_xp: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_GAME_XP))
    premium_bonus_percent: dict[int, int] = Field(
        default_factory=lambda: {1: 25, 2: 50, 3: 100},
        description="Extra XP in percent by premium tier, for premium members and in premium "
        "guilds (the larger of the two applies; boosts do not stack).",
    )
    announcement_mode: AnnouncementMode = AnnouncementMode.CHANNEL
    role_reward_mode: RoleRewardMode = RoleRewardMode.STACK
    flush_interval: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds between writes of buffered XP: the most a crash can lose.",
    )
    flush_batch_size: int = Field(default=2000, ge=1, le=50_000)
    role_sync_batch_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Members whose roles a guild-wide re-sync changes before it pauses.",
    )
    role_sync_pause_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="Pause between batches of a re-sync, so it never edits roles in one burst.",
    )
    role_resync_cooldown_seconds: int = Field(
        default=600,
        ge=0,
        le=MAX_COOLDOWN_SECONDS,
        description="Least time between two /levels resync of one guild.",
    )
    member_role_check_seconds: int = Field(
        default=600,
        ge=1,
        le=MAX_COOLDOWN_SECONDS,
        description="How often the host bot checks a chatting member's reward roles, to apply "
        "those another bot could not (an unlock elsewhere, no Manage Roles there).",
    )
    max_pending_awards: int = Field(
        default=200_000,
        ge=1,
        description="Awards held while the database is unreachable before new ones are refused.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> GamificationOptions:
        if self.host_bot not in bot_names():
            raise ValueError(f"host_bot must be one of {', '.join(bot_names())}")
        if self.message_xp_min > self.message_xp_max:
            raise ValueError("message_xp_min cannot be larger than message_xp_max")
        if any(amount < 0 or amount > MAX_AWARD for amount in self.game_xp.values()):
            raise ValueError(f"game_xp amounts must be between 0 and {MAX_AWARD}")
        if any(
            tier < 1 or not 0 <= bonus <= 1000 for tier, bonus in self.premium_bonus_percent.items()
        ):
            raise ValueError(
                "premium_bonus_percent maps tiers >= 1 to a bonus of 0 to 1000 percent"
            )
        return self

    @classmethod
    def from_settings(cls, settings: Settings) -> GamificationOptions:
        """Validate the ``gamification:`` section; a mistake is a :class:`ConfigError`."""
        return validate_section(
            cls, settings.gamification, section="gamification", where="invalid configuration"
        )

    def premium_bonus(self, tier: int) -> int:
        """The bonus percent of a premium ``tier`` (0 when the tier has none)."""
        return self.premium_bonus_percent.get(tier, 0) if tier > 0 else 0
