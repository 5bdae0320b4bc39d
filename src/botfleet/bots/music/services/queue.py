"""A guild's queue: what plays now, what comes next, what played before, and the loop mode.

Positions a member types are 1-based ("remove 3" removes the third upcoming track); the queue
answers every impossible request with a :class:`~botfleet.errors.UserError` and leaves itself
unchanged, so a typo never loses a track.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from botfleet.bots.music.services.tracks import Track, format_clock
from botfleet.errors import UserError
from botfleet.services.premium.perks import Allowance
from botfleet.utils.wording import plural


class LoopMode(StrEnum):
    """What happens when a track ends."""

    OFF = "off"
    TRACK = "track"
    """The same track again."""
    QUEUE = "queue"
    """The track goes to the end of the queue."""


@dataclass(frozen=True, slots=True)
class QueueLimits:
    """What one guild's queue accepts; the operator sets them in the bot's options."""

    max_size: int = 500
    member_share: float = 1.0
    """The fraction of ``max_size`` one member's upcoming tracks may fill."""
    max_track_seconds: int | None = None
    """Longest track accepted; tracks of unknown length (streams) are always accepted."""
    history_size: int = 50

    @property
    def per_member(self) -> int:
        """How many upcoming tracks one member may hold."""
        return max(1, math.ceil(self.max_size * self.member_share))

    @property
    def member_allowance(self) -> Allowance:
        """A member's share of the queue; premium members may fill all of it."""
        return Allowance(self.per_member, self.max_size)


class TrackQueue:
    """The queue of one guild's player."""

    def __init__(self, limits: QueueLimits | None = None) -> None:
        self.limits = limits or QueueLimits()
        self.current: Track | None = None
        self.upcoming: list[Track] = []
        self.history: deque[Track] = deque(maxlen=self.limits.history_size)
        self.loop = LoopMode.OFF

    def __len__(self) -> int:
        return len(self.upcoming)

    @property
    def total_seconds(self) -> float:
        """The known length of every upcoming track."""
        return sum(track.duration or 0.0 for track in self.upcoming)

    # -- adding --------------------------------------------------------------------------

    def check_length(self, track: Track) -> None:
        """Refuse a track longer than the limit."""
        limit = self.limits.max_track_seconds
        if limit is not None and track.duration is not None and track.duration > limit:
            raise UserError(
                f"**{track.display_title}** is {format_clock(track.duration)} long; "
                f"tracks may last at most {format_clock(limit)} here."
            )

    def room_for(self, member_id: int, *, premium: bool = False) -> int:
        """How many more tracks the member (``premium`` or not) may add now."""
        held = sum(1 for track in self.upcoming if track.requester_id == member_id)
        share = self.limits.member_allowance.limit(premium)
        return max(0, min(self.limits.max_size - len(self.upcoming), share - held))

    def add(
        self, tracks: Sequence[Track], *, play_next: bool = False, premium: bool = False
    ) -> int:
        """Queue tracks (at the end, or next); returns the 1-based position of the first.

        All or nothing: a track past a limit refuses the whole request, with the reason.
        ``premium``: premium covers the member adding them (their share is the whole queue).
        """
        if not tracks:
            raise UserError("Nothing to add.")
        for track in tracks:
            self.check_length(track)
        requesters = {track.requester_id for track in tracks}
        for member_id in requesters:
            wanted = sum(1 for track in tracks if track.requester_id == member_id)
            room = self.room_for(member_id, premium=premium)
            if wanted > room:
                raise self._full_error(wanted, room, premium=premium)
        if play_next:
            self.upcoming[0:0] = tracks
            return 1
        self.upcoming.extend(tracks)
        return len(self.upcoming) - len(tracks) + 1

    def _full_error(self, wanted: int, room: int, *, premium: bool) -> UserError:
        if len(self.upcoming) >= self.limits.max_size:
            return UserError(f"The queue is full ({plural(self.limits.max_size, 'track')}).")
        share = self.limits.member_allowance
        more = share.upsell(premium, "track")
        if room == 0:
            return UserError(
                f"You already have {plural(share.limit(premium), 'track')} waiting — "
                f"let others have a turn.{more}"
            )
        return UserError(
            f"You can add {plural(room, 'more track')} now, not {wanted}; "
            f"try a shorter playlist or wait for yours to play.{more}"
        )

    # -- moving along ----------------------------------------------------------------------

    def advance(self) -> Track | None:
        """The current track ended: the next one to play under the loop mode, or None."""
        finished = self.current
        if finished is not None and self.loop is LoopMode.TRACK:
            return finished
        if finished is not None:
            self.history.append(finished)
            if self.loop is LoopMode.QUEUE:
                self.upcoming.append(finished)
        self.current = self.upcoming.pop(0) if self.upcoming else None
        return self.current

    def skip(self) -> Track | None:
        """Leave the current track even when it loops."""
        if self.loop is LoopMode.TRACK:
            self.loop = LoopMode.OFF
            try:
                return self.advance()
            finally:
                self.loop = LoopMode.TRACK
        return self.advance()

    def check_back(self) -> None:
        """Refuse going back when nothing played before (checked before a command answers)."""
        if not self.history:
            raise UserError("Nothing has played before this track.")

    def back(self) -> Track:
        """Play the previous track again; the current one becomes next."""
        self.check_back()
        previous = self.history.pop()
        if self.current is not None:
            self.upcoming.insert(0, self.current)
        self.current = previous
        return previous

    # -- editing ---------------------------------------------------------------------------

    def _index(self, position: int) -> int:
        if not self.upcoming:
            raise UserError("The queue is empty.")
        if not 1 <= position <= len(self.upcoming):
            raise UserError(f"Choose a position from 1 to {len(self.upcoming)}.")
        return position - 1

    def requested_by(self, position: int, member_id: int) -> bool:
        """Whether the track at ``position`` of the queue is one the member queued."""
        index = position - 1
        return 0 <= index < len(self.upcoming) and self.upcoming[index].requester_id == member_id

    def check_positions(self, *positions: int) -> None:
        """Refuse positions the queue does not have (checked before a command answers)."""
        for position in positions:
            self._index(position)

    def check_shuffle(self) -> None:
        """Refuse shuffling fewer than two tracks."""
        if len(self.upcoming) < 2:
            raise UserError("Shuffling needs at least two tracks in the queue.")

    def remove(self, position: int) -> Track:
        """Take the track at ``position`` out of the queue."""
        return self.upcoming.pop(self._index(position))

    def move(self, source: int, target: int) -> Track:
        """Move a track to another position."""
        index, destination = self._index(source), self._index(target)
        track = self.upcoming.pop(index)
        self.upcoming.insert(destination, track)
        return track

    def swap(self, first: int, second: int) -> tuple[Track, Track]:
        """Exchange two tracks."""
        a, b = self._index(first), self._index(second)
        self.upcoming[a], self.upcoming[b] = self.upcoming[b], self.upcoming[a]
        return self.upcoming[a], self.upcoming[b]

    def clear(self) -> int:
        """Empty the queue (the current track plays on); returns how many were removed."""
        count = len(self.upcoming)
        self.upcoming.clear()
        return count

    def dedupe(self) -> int:
        """Keep the first of tracks queued twice (and drop repeats of the current one)."""
        seen = {self.current.identity} if self.current is not None else set()
        kept: list[Track] = []
        for track in self.upcoming:
            if track.identity not in seen:
                seen.add(track.identity)
                kept.append(track)
        removed = len(self.upcoming) - len(kept)
        self.upcoming = kept
        return removed

    def shuffle(self, rng: random.Random | None = None) -> None:
        """Shuffle the upcoming tracks."""
        self.check_shuffle()
        shuffler = rng or random.Random()  # noqa: S311  (an order of songs, not a secret)
        shuffler.shuffle(self.upcoming)

    def replace_all(
        self, current: Track | None, upcoming: Iterable[Track], history: Iterable[Track]
    ) -> None:
        """Restore a stored queue as it was."""
        self.current = current
        self.upcoming = list(upcoming)
        self.history.clear()
        self.history.extend(history)
