"""What moderators type, checked before any action: durations and reasons.

Durations are read by the fleet's :func:`~botfleet.utils.helpers.parse_time`; this module adds
the bounds Discord puts on moderation (a timeout lasts 28 days at most). Reasons end up in the
audit log, which keeps 512 characters.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, Field

from botfleet.errors import UserError
from botfleet.utils.helpers import parse_time, truncate_string

MAX_REASON_LENGTH: Final = 512
"""Discord's limit for an audit-log reason (the ``X-Audit-Log-Reason`` header)."""

MAX_TIMEOUT: Final = timedelta(days=28)
"""Discord refuses a timeout that ends more than 28 days from now."""


class CaseAction(StrEnum):
    """What a case records."""

    WARN = "warn"
    TIMEOUT = "timeout"
    UNTIMEOUT = "untimeout"
    KICK = "kick"
    BAN = "ban"
    TEMPBAN = "tempban"
    SOFTBAN = "softban"
    UNBAN = "unban"
    BLOCK = "block"
    """A message Discord's own AutoMod blocked."""

    @property
    def temporary(self) -> bool:
        """Whether the action takes a duration."""
        return self in (CaseAction.TIMEOUT, CaseAction.TEMPBAN)


MAX_DURATIONS: Final[dict[CaseAction, timedelta]] = {CaseAction.TIMEOUT: MAX_TIMEOUT}


class TimedStep(BaseModel):
    """A configured action that may last a while (an escalation, an automod step)."""

    duration_seconds: int | None = Field(default=None, ge=60)

    @property
    def duration(self) -> timedelta | None:
        if self.duration_seconds is None:
            return None
        return timedelta(seconds=self.duration_seconds)

    def check_duration(self, action: str, *, temporary: bool, bound: timedelta | None) -> None:
        """Raise ValueError (for pydantic) when the duration does not fit ``action``."""
        if temporary and self.duration_seconds is None:
            raise ValueError(f"a {action} needs a duration")
        if not temporary and self.duration_seconds is not None:
            raise ValueError(f"a {action} takes no duration")
        duration = self.duration
        if bound is not None and duration is not None and duration > bound:
            raise ValueError(f"a {action} lasts {bound.days} days at most")


class ReasonTooLongError(UserError):
    """A reason the audit log cannot hold."""

    def __init__(self, length: int) -> None:
        super().__init__(
            f"A reason can be {MAX_REASON_LENGTH} characters at most (Discord's audit log keeps "
            f"no more); yours has {length}. Shorten it and try again."
        )
        self.length = length


class DurationTooLongError(UserError):
    """A duration past the bound of its action."""


def check_reason(reason: str | None) -> str | None:
    """The reason as stored (trimmed; None when blank), or :class:`ReasonTooLongError`."""
    if reason is None:
        return None
    trimmed = reason.strip()
    if len(trimmed) > MAX_REASON_LENGTH:
        raise ReasonTooLongError(len(trimmed))
    return trimmed or None


def action_duration(text: str, action: CaseAction) -> timedelta:
    """Read a duration typed for ``action`` ("1h30m", "2w"), refusing one past its bound."""
    duration = timedelta(seconds=parse_time(text))
    bound = MAX_DURATIONS.get(action)
    if bound is not None and duration > bound:
        raise DurationTooLongError(
            f"A {action.value} lasts {bound.days} days at most "
            f"(Discord's limit), and {truncate_string(text.strip(), 40)} is longer. "
            "Use a tempban for longer."
        )
    return duration


def audit_reason(moderator_name: str, case_number: int | None, reason: str | None) -> str:
    """The audit-log reason of an action: who, which case, why; cut to the 512 allowed."""
    case = f", case #{case_number}" if case_number is not None else ""
    text = f"{moderator_name}{case}: {reason or 'no reason given'}"
    return truncate_string(text, MAX_REASON_LENGTH)
