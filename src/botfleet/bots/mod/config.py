"""The Mod Bot's own options: the ``options:`` section of ``config/bots/mod.yaml``.

Per-server rules (warning presets and thresholds, automod rules) are set by each server's
admins and stored in the database; these are the process-wide defaults and bounds.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from botfleet.bots.mod.services.sanctions import UnbanRetryPolicy
from botfleet.bots.mod.services.spam import DEFAULT_MAX_MEMBERS
from botfleet.bots.mod.services.warnings import MAX_PRESETS, Preset, Threshold, WarningSettings


class ModOptions(BaseModel):
    """Every option has a default, so the section may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warning_expiry_days: int | None = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days a warning's points count in a server that set no expiry (null: forever).",
    )
    pattern_timeout_ms: float = Field(
        default=5.0,
        ge=0.5,
        le=100.0,
        description="Milliseconds one moderator-written automod pattern may spend on a message.",
    )
    spam_tracked_members: int = Field(
        default=DEFAULT_MAX_MEMBERS,
        ge=1000,
        le=1_000_000,
        description="Members whose recent messages automod remembers (least active forgotten).",
    )
    unban_retries: int = Field(
        default=5, ge=0, le=10, description="Tries again of a tempban's unban that failed."
    )

    warning_presets: dict[str, Preset] = Field(
        default_factory=dict,
        max_length=MAX_PRESETS,
        description="Ready-made warning reasons with their points, by name (e.g. spam).",
    )
    warning_thresholds: tuple[Threshold, ...] = Field(
        default=(),
        description="Active points that trigger an action: timeout, kick, tempban or ban.",
    )
    dm_on_action: bool = Field(
        default=True,
        description="Tell the member by direct message, before the action, what and why.",
    )
    protected_role_ids: tuple[int, ...] = Field(
        default=(),
        description="Roles whose holders only the server owner may act on.",
    )
    softban_delete_days: int = Field(
        default=1, ge=0, le=7, description="Days of messages a softban deletes."
    )

    def warning_defaults(self) -> WarningSettings:
        """The warning rules of a server whose admins set none."""
        return WarningSettings(
            presets={name.casefold(): preset for name, preset in self.warning_presets.items()},
            thresholds=self.warning_thresholds,
            expire_after_days=self.warning_expiry_days,
        )

    @property
    def pattern_timeout(self) -> float:
        """In seconds, as the ``regex`` package takes it."""
        return self.pattern_timeout_ms / 1000

    def unban_retry_policy(self) -> UnbanRetryPolicy:
        return UnbanRetryPolicy(attempts=self.unban_retries, first_delay=timedelta(minutes=1))
