"""Which members a massban picks: new accounts, recent joiners, no avatar, name or message pattern.

Pure rules over a few facts of each member, run in a thread (a moderator's pattern runs with
its time bound); the command shows the pick as a dry run before anyone is banned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from botfleet.bots.mod.services.patterns import PatternSet
from botfleet.errors import UserError

MAX_MASSBAN: Final = 200
"""Members one massban bans at most: a bigger pick is more likely a mistaken filter."""


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a massban filter reads of a member."""

    id: int
    name: str
    display_name: str
    created_at: datetime
    joined_at: datetime | None
    has_avatar: bool
    is_bot: bool
    messages: tuple[str, ...] = ()
    """Their messages among those the command read (a message pattern reads them)."""


@dataclass(frozen=True, slots=True)
class MassbanFilter:
    """Members every given filter matches; at least one filter, so it never picks everyone."""

    account_younger_than: timedelta | None = None
    joined_within: timedelta | None = None
    no_avatar: bool = False
    name_pattern: PatternSet | None = None
    message_pattern: PatternSet | None = None
    """Members with a recent message it matches (each search within the pattern's time bound)."""

    def __post_init__(self) -> None:
        if (
            self.account_younger_than is None
            and self.joined_within is None
            and not self.no_avatar
            and self.name_pattern is None
            and self.message_pattern is None
        ):
            raise UserError(
                "Give at least one filter (account age, join age, no avatar, a name or a "
                "message pattern): a massban without one would pick every member."
            )

    def matches(self, member: MemberFacts, now: datetime) -> bool:
        """Whether every given filter holds for ``member`` (bots are never picked)."""
        if member.is_bot:
            return False
        young = self.account_younger_than
        if young is not None and member.created_at < now - young:
            return False
        joined = self.joined_within
        if joined is not None and (member.joined_at is None or member.joined_at < now - joined):
            return False
        if self.no_avatar and member.has_avatar:
            return False
        return _any_found(self.name_pattern, (member.name, member.display_name)) and _any_found(
            self.message_pattern, member.messages
        )


def _any_found(pattern: PatternSet | None, texts: Iterable[str]) -> bool:
    """Whether ``pattern`` finds one of ``texts``; no pattern filters nothing."""
    return pattern is None or any(pattern.find(text) is not None for text in texts)


def pick_members(
    members: Iterable[MemberFacts], massban: MassbanFilter, now: datetime
) -> list[MemberFacts]:
    """The members ``massban`` matches, newest joiners first; refused past :data:`MAX_MASSBAN`."""
    picked = [member for member in members if massban.matches(member, now)]
    if len(picked) > MAX_MASSBAN:
        raise UserError(
            f"Those filters pick {len(picked)} members; a massban bans {MAX_MASSBAN} at most. "
            "Narrow them down."
        )
    return sorted(picked, key=lambda member: member.joined_at or now, reverse=True)


class MassbanBusyError(UserError):
    """Another massban holds the guild: nothing was banned, and the moderator may try again."""


class MassbanClaims:
    """One massban at a time per guild (a guild is served by one process, its shard's).

    Two moderators confirming their dry runs together would otherwise ban their common
    members twice, each time as a new case.
    """

    def __init__(self) -> None:
        self._holders: dict[int, str] = {}

    @contextmanager
    def claim(self, guild_id: int, moderator: str) -> Iterator[None]:
        """Hold the guild's massban while the block runs; refused while another holds it."""
        holder = self._holders.get(guild_id)
        if holder is not None:
            raise MassbanBusyError(
                f"A massban by {holder} is being carried out in this server; wait for its "
                "report, then try again for whoever it left."
            )
        self._holders[guild_id] = moderator
        try:
            yield
        finally:
            del self._holders[guild_id]
