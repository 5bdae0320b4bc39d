"""Warnings with points that expire, and the escalation their total triggers.

A warning's points count until ``expires_at``; the warning itself stays on the record, so
``warnings @member`` shows the whole history and what still counts. Escalation is a pure
function of the active points before and after a warning: the highest threshold the new
warning crosses decides the action, so a member is never punished twice for one threshold.

A warning is stored with its case in one transaction. Raising the guild's case counter locks it
first, so two moderators warning one member at once are serialised, and the second sees the
first's points when its escalation is decided.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from botfleet.bots.mod.services.cases import Case, NewCase, insert_case
from botfleet.bots.mod.services.limits import (
    MAX_DURATIONS,
    MAX_REASON_LENGTH,
    CaseAction,
    TimedStep,
    check_reason,
)
from botfleet.database.base import Database
from botfleet.database.models.mod import ModSettings, ModWarning
from botfleet.errors import UserError
from botfleet.services.scheduler import Scheduler
from botfleet.utils.text import truncate_string

logger = logging.getLogger(__name__)

WARNING_EXPIRY_EVENT: Final = "mod_warning_expiry"
"""The timer that tells the bot a warning's points stopped counting."""

MAX_PRESETS: Final = 25
MAX_PRESET_NAME_LENGTH: Final = 40
"""A slash-command choice list holds 25 entries."""

ESCALATION_ACTIONS: Final = frozenset(
    {CaseAction.TIMEOUT, CaseAction.KICK, CaseAction.TEMPBAN, CaseAction.BAN}
)


class Preset(BaseModel):
    """A ready-made warning reason with its points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)
    points: int = Field(ge=1, le=100)


class Threshold(TimedStep):
    """Reaching ``points`` active points triggers ``action`` (for ``duration_seconds``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: int = Field(ge=1, le=1000)
    action: CaseAction

    @model_validator(mode="after")
    def _fits_the_action(self) -> Threshold:
        if self.action not in ESCALATION_ACTIONS:
            raise ValueError("a threshold times out, kicks, tempbans or bans")
        self.check_duration(
            self.action.value,
            temporary=self.action.temporary,
            bound=MAX_DURATIONS.get(self.action),
        )
        return self


class WarningSettings(BaseModel):
    """A guild's warning rules: presets, thresholds, and how long points count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    presets: dict[str, Preset] = Field(default_factory=dict, max_length=MAX_PRESETS)
    thresholds: tuple[Threshold, ...] = ()
    expire_after_days: int | None = Field(default=30, ge=1, le=3650)
    """None: points never expire."""

    @model_validator(mode="after")
    def _one_threshold_per_total(self) -> WarningSettings:
        totals = [threshold.points for threshold in self.thresholds]
        if len(totals) != len(set(totals)):
            raise ValueError("two thresholds have the same number of points")
        return self

    def preset(self, name: str) -> Preset:
        """The preset called ``name``, or an error listing the guild's presets."""
        found = self.presets.get(name.strip().casefold())
        if found is not None:
            return found
        if not self.presets:
            raise UserError("This server has no preset warnings; give a reason and points.")
        names = ", ".join(sorted(self.presets))
        shown = truncate_string(name.strip(), MAX_PRESET_NAME_LENGTH)
        raise UserError(f"There is no preset warning called “{shown}”. Presets: {names}.")


@dataclass(frozen=True, slots=True)
class Warning:
    """One warning, as stored."""

    id: int
    guild_id: int
    user_id: int
    moderator_id: int
    reason: str
    points: int
    case_number: int | None
    created_at: datetime
    expires_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        """Whether its points still count at ``now``."""
        return self.expires_at is None or now < self.expires_at


def active_points(warnings: Iterable[Warning], now: datetime) -> int:
    """The points that count at ``now``."""
    return sum(warning.points for warning in warnings if warning.is_active(now))


def escalation(thresholds: Iterable[Threshold], before: int, after: int) -> Threshold | None:
    """The highest threshold a warning taking the points from ``before`` to ``after`` crosses."""
    crossed = [threshold for threshold in thresholds if before < threshold.points <= after]
    return max(crossed, key=lambda threshold: threshold.points, default=None)


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's warnings in a guild at one moment: all of them, and what still counts."""

    warnings: tuple[Warning, ...]
    now: datetime

    @property
    def active(self) -> tuple[Warning, ...]:
        return tuple(warning for warning in self.warnings if warning.is_active(self.now))

    @property
    def active_points(self) -> int:
        return active_points(self.warnings, self.now)


@dataclass(frozen=True, slots=True)
class WarnOutcome:
    """What a warning did: its case, the points before and after, the escalation due."""

    case: Case
    warning: Warning
    points_before: int
    points_after: int
    escalation: Threshold | None


def _warning(row: ModWarning) -> Warning:
    return Warning(
        id=row.id,
        guild_id=row.guild_id,
        user_id=row.user_id,
        moderator_id=row.moderator_id,
        reason=row.reason,
        points=row.points,
        case_number=row.case_number,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WarningService:
    """Warnings of every guild: settings, warning, standing, and their expiry timers."""

    def __init__(
        self,
        database: Database,
        scheduler: Scheduler | None = None,
        *,
        defaults: WarningSettings | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.database = database
        self.scheduler = scheduler
        self.defaults = defaults if defaults is not None else WarningSettings()
        self._clock = clock

    async def settings(self, guild_id: int) -> WarningSettings:
        async with self.database.session() as session:
            row = await session.get(ModSettings, guild_id)
        if row is None or not row.warnings:
            return self.defaults
        return WarningSettings.model_validate(row.warnings)

    async def save_settings(self, guild_id: int, settings: WarningSettings) -> None:
        stored: dict[str, Any] = settings.model_dump(mode="json")
        statement = (
            self.database.upsert(ModSettings)
            .values(guild_id=guild_id, warnings=stored, automod={})
            .on_conflict_do_update(index_elements=[ModSettings.guild_id], set_={"warnings": stored})
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def warn(
        self,
        guild_id: int,
        user_id: int,
        user_name: str,
        moderator_id: int,
        *,
        reason: str,
        points: int,
        channel_id: int | None = None,
        dm_text: str | None = None,
    ) -> WarnOutcome:
        """Record a warning and its case; say which threshold, if any, it crossed.

        ``dm_text`` is the direct message the member got, kept with the case like other actions'.
        """
        if not 1 <= points <= 100:
            raise UserError("A warning is worth 1 to 100 points.")
        checked = check_reason(reason)
        if checked is None:
            raise UserError("A warning needs a reason: the member is told why.")
        settings = await self.settings(guild_id)
        now = self._clock()
        expires_at = (
            now + timedelta(days=settings.expire_after_days)
            if settings.expire_after_days is not None
            else None
        )
        new_case = NewCase(
            guild_id=guild_id,
            action=CaseAction.WARN,
            target_id=user_id,
            target_name=user_name,
            moderator_id=moderator_id,
            reason=checked,
            channel_id=channel_id,
            dm_text=dm_text,
        )
        async with self.database.session() as session:
            case = await insert_case(self.database, session, new_case, now)
            earlier = await session.scalars(
                select(ModWarning).where(
                    ModWarning.guild_id == guild_id, ModWarning.user_id == user_id
                )
            )
            before = active_points(map(_warning, earlier), now)
            row = ModWarning(
                guild_id=guild_id,
                user_id=user_id,
                moderator_id=moderator_id,
                reason=checked,
                points=points,
                case_number=case.number,
                created_at=now,
                expires_at=expires_at,
            )
            session.add(row)
            await session.flush()
            warning = _warning(row)
            await session.commit()
        if expires_at is not None and self.scheduler is not None:
            await self.scheduler.schedule(
                expires_at,
                WARNING_EXPIRY_EVENT,
                {"guild_id": guild_id, "user_id": user_id, "warning_id": warning.id},
            )
        after = before + points
        return WarnOutcome(
            case, warning, before, after, escalation(settings.thresholds, before, after)
        )

    async def standing(self, guild_id: int, user_id: int) -> Standing:
        """Every warning of a member in a guild, newest first, and what counts now."""
        statement = (
            select(ModWarning)
            .where(ModWarning.guild_id == guild_id, ModWarning.user_id == user_id)
            .order_by(ModWarning.created_at.desc(), ModWarning.id.desc())
        )
        async with self.database.session() as session:
            warnings = tuple(_warning(row) for row in await session.scalars(statement))
        return Standing(warnings, self._clock())

    async def expired(self, warning_id: int) -> Warning | None:
        """The warning an expiry timer names, if it still exists and no longer counts.

        None after a data-deletion request removed it, or if its expiry moved later.
        """
        async with self.database.session() as session:
            row = await session.get(ModWarning, warning_id)
        if row is None:
            return None
        warning = _warning(row)
        return None if warning.is_active(self._clock()) else warning
