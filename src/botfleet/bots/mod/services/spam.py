"""What the automod remembers of each member: recent message times, repeats, strikes.

The memory is bounded twice: each member's record holds a fixed number of timestamps, and the
tracker keeps at most ``max_members`` records, forgetting the least recently active member
first. A member forgotten is one who has been quiet the longest, whose history no rule window
still covers on a busy server; on a quiet server nothing is forgotten at all.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_MEMBERS: Final = 50_000


class MemberActivity:
    """One member's recent messages in one guild, and their strikes per rule."""

    __slots__ = ("last_digest", "remembered", "repeats", "repeats_since", "strikes", "times")

    def __init__(self, remembered: int) -> None:
        # Raw doubles trimmed from the front: no float object per time, no deque block.
        self.times = array("d")
        self.remembered = remembered
        self.last_digest = 0
        self.repeats = 0
        self.repeats_since = 0.0
        self.strikes: dict[int, Strike] | None = None

    def sent(self, at: float, digest: int, repeat_window: float) -> None:
        """Remember a message: its time, and whether it repeats the one before."""
        times = self.times
        times.append(at)
        if len(times) > self.remembered:
            del times[0]
        if digest == self.last_digest and at - self.repeats_since <= repeat_window:
            self.repeats += 1
        else:
            self.last_digest, self.repeats, self.repeats_since = digest, 1, at

    def rate_exceeded(self, max_messages: int, per_seconds: float) -> bool:
        """Whether more than ``max_messages`` were sent within the last ``per_seconds``."""
        times = self.times
        if len(times) <= max_messages:
            return False
        return times[-1] - times[-1 - max_messages] <= per_seconds


@dataclass(slots=True)
class Strike:
    """How many times a member broke one rule recently, and when last."""

    count: int
    last: float


class SpamTracker:
    """Every tracked member's :class:`MemberActivity`, least recently active forgotten first."""

    def __init__(self, max_members: int = DEFAULT_MAX_MEMBERS, remembered: int = 16) -> None:
        if max_members < 1 or remembered < 2:
            raise ValueError("track at least one member and two messages each")
        self.max_members = max_members
        self.remembered = remembered
        self._members: OrderedDict[tuple[int, int], MemberActivity] = OrderedDict()

    def __len__(self) -> int:
        return len(self._members)

    def activity(self, guild_id: int, user_id: int) -> MemberActivity:
        """The member's record, made most recently active (and created if new)."""
        key = (guild_id, user_id)
        members = self._members
        found = members.get(key)
        if found is not None:
            members.move_to_end(key)
            return found
        created = MemberActivity(self.remembered)
        members[key] = created
        if len(members) > self.max_members:
            members.popitem(last=False)
        return created

    def strike(self, activity: MemberActivity, rule: int, at: float, decay: float) -> int:
        """Count a break of ``rule``; strikes older than ``decay`` seconds are forgotten first."""
        strikes = activity.strikes
        if strikes is None:
            strikes = activity.strikes = {}
        current = strikes.get(rule)
        if current is None or at - current.last > decay:
            strikes[rule] = Strike(1, at)
            return 1
        current.count += 1
        current.last = at
        return current.count
