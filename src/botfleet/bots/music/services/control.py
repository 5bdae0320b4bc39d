"""Who may do what to the player, and where a seek lands: vote-skip counting and positions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from botfleet.bots.music.services.tracks import Track, format_clock
from botfleet.errors import UserError

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?s?$")
_UNITS = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MAX_POSITION_INPUT = 16
POSITION_EXAMPLES = "1:23, 83, 83s or 1m23s"


def parse_position(text: str) -> float:
    """Seconds from what a member typed: ``1:23``, ``1:02:03``, ``83``, ``83s`` or ``1m23s``."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or len(cleaned) > MAX_POSITION_INPUT:
        raise UserError(f"Give a time such as {POSITION_EXAMPLES}.")
    if clock := _CLOCK.match(cleaned):
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        if seconds >= 60 or (hours and minutes >= 60):
            raise UserError(f"{text.strip()!r} is not a time; try {POSITION_EXAMPLES}.")
        return float(hours * 3600 + minutes * 60 + seconds)
    if _SECONDS.match(cleaned):
        return float(cleaned.removesuffix("s"))
    units = _UNITS.match(cleaned)
    if units and any(units.groups()):
        hours, minutes, seconds = (int(part or 0) for part in units.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    raise UserError(f"{text.strip()!r} is not a time; try {POSITION_EXAMPLES}.")


def seek_target(track: Track, position: float) -> float:
    """Where an absolute seek lands, refusing what the track cannot do."""
    if not track.is_seekable:
        raise UserError("A live stream cannot be seeked.")
    if position < 0:
        raise UserError("A position cannot be negative.")
    if track.duration is not None and position >= track.duration:
        raise UserError(f"**{track.display_title}** is only {format_clock(track.duration)} long.")
    return position


def shifted_position(track: Track, position: float, delta: float) -> float:
    """Forward (positive delta) or rewind from ``position``: clamped to the track's bounds.

    Forwarding past the end lands on the end, which ends the track as a skip would.
    """
    if not track.is_seekable:
        raise UserError("A live stream cannot be forwarded or rewound.")
    target = max(0.0, position + delta)
    if track.duration is not None:
        target = min(target, track.duration)
    return target


def votes_needed(listeners: int, ratio: float) -> int:
    """Votes a skip needs among ``listeners`` members (never fewer than one)."""
    return max(1, math.ceil(listeners * ratio))


@dataclass(slots=True)
class SkipVote:
    """The votes to skip the track playing now; a new track starts a new vote."""

    ratio: float
    track_key: object = None
    voters: set[int] = field(default_factory=set)

    def cast(self, track_key: object, member_id: int, listener_ids: set[int]) -> tuple[int, int]:
        """Count a member's vote; returns (votes of present listeners, votes needed).

        Votes of members who left the channel no longer count, and the vote restarts when
        the track changed since the last one.
        """
        if track_key != self.track_key:
            self.track_key = track_key
            self.voters = set()
        if member_id not in listener_ids:
            raise UserError("Join the bot's voice channel to vote.")
        if member_id in self.voters:
            raise UserError("You already voted to skip this track.")
        self.voters.add(member_id)
        self.voters &= listener_ids
        return len(self.voters), votes_needed(len(listener_ids), self.ratio)

    def reset(self) -> None:
        """Forget the votes (the track changed or was skipped)."""
        self.voters = set()
        self.track_key = None
