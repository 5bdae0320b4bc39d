"""Changing a server's warning rules one step at a time (a preset, a threshold, the expiry).

Each step gives a new :class:`WarningSettings`, validated as a whole, so a rule that would not
fit (a sixth-month timeout, two thresholds at one total, a 26th preset) is refused with words
a server admin understands and the stored rules stay as they were.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.warnings import WarningSettings
from botfleet.errors import UserError


def _validated(settings: WarningSettings, **changes: Any) -> WarningSettings:
    data = settings.model_dump(mode="json")
    data.update(changes)
    try:
        return WarningSettings.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(_explained(error) for error in exc.errors())
        raise UserError(f"That rule doesn't fit: {reasons}.") from None


def _explained(error: Any) -> str:
    """One validation error as an admin reads it: the field (when one) and what is wrong."""
    message = str(error["msg"]).removeprefix("Value error, ")
    location = [str(part) for part in error["loc"] if isinstance(part, str)]
    return f"{location[-1]} {message[0].lower()}{message[1:]}" if location else message


def with_preset(settings: WarningSettings, name: str, reason: str, points: int) -> WarningSettings:
    """The rules with preset ``name`` added (or replaced)."""
    key = name.strip().casefold()
    if not key:
        raise UserError("A preset needs a name.")
    presets = {
        **settings.model_dump(mode="json")["presets"],
        key: {"reason": reason, "points": points},
    }
    return _validated(settings, presets=presets)


def without_preset(settings: WarningSettings, name: str) -> WarningSettings:
    """The rules without preset ``name`` (refused when there is none)."""
    settings.preset(name)
    presets = dict(settings.model_dump(mode="json")["presets"])
    del presets[name.strip().casefold()]
    return _validated(settings, presets=presets)


def with_threshold(
    settings: WarningSettings, points: int, action: CaseAction, duration: timedelta | None
) -> WarningSettings:
    """The rules with a threshold at ``points`` (replacing one at the same total)."""
    kept = [
        threshold.model_dump(mode="json")
        for threshold in settings.thresholds
        if threshold.points != points
    ]
    seconds = int(duration.total_seconds()) if duration is not None else None
    added = {"points": points, "action": action.value, "duration_seconds": seconds}
    ordered = sorted([*kept, added], key=lambda threshold: int(threshold["points"]))
    return _validated(settings, thresholds=ordered)


def without_threshold(settings: WarningSettings, points: int) -> WarningSettings:
    """The rules without the threshold at ``points`` (refused when there is none)."""
    kept = [threshold for threshold in settings.thresholds if threshold.points != points]
    if len(kept) == len(settings.thresholds):
        raise UserError(f"There is no threshold at {points} points.")
    return _validated(settings, thresholds=[t.model_dump(mode="json") for t in kept])


def with_expiry(settings: WarningSettings, days: int | None) -> WarningSettings:
    """The rules with points counting ``days`` (None: forever)."""
    return _validated(settings, expire_after_days=days)
