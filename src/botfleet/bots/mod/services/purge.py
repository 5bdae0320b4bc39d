"""Which messages a purge deletes, and how: Discord bulk-deletes only messages under 14 days.

Pure rules over a few facts of each message, so they run in a thread (a moderator's regex
with its time bound included) and are tested without Discord.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from botfleet.bots.mod.services.patterns import PatternSet

BULK_DELETE_MAX_AGE: Final = timedelta(days=14)
"""Discord refuses to bulk-delete a message older than this."""
BULK_DELETE_MARGIN: Final = timedelta(minutes=1)
"""Kept off the bound, so a message does not turn 14 days old between the plan and the call."""
BULK_DELETE_BATCH: Final = 100
MAX_PURGE: Final = 500
"""Messages one purge deletes at most."""
SCAN_LIMIT: Final = 1000
"""Recent messages a purge looks through to find the ones its filters match."""

_LINK: Final = re.compile(r"https?://\S|www\.\S|discord\.gg/\S", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What a purge filter reads of a message."""

    id: int
    author_id: int
    author_is_bot: bool
    content: str
    created_at: datetime
    has_files: bool
    has_embeds: bool


@dataclass(frozen=True, slots=True)
class PurgeFilter:
    """Which messages a purge deletes; every filter given must match (none: every message)."""

    member_id: int | None = None
    text: str | None = None
    pattern: PatternSet | None = None
    bots: bool = False
    links: bool = False
    files: bool = False
    embeds: bool = False

    def matches(self, message: MessageFacts) -> bool:
        """Whether the filters all hold for ``message``."""
        checks = (
            self.member_id is None or message.author_id == self.member_id,
            self.text is None or self.text.casefold() in message.content.casefold(),
            not self.bots or message.author_is_bot,
            not self.links or _LINK.search(message.content) is not None,
            not self.files or message.has_files,
            not self.embeds or message.has_embeds,
        )
        if not all(checks):
            return False
        return self.pattern is None or self.pattern.find(message.content) is not None


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """The messages to delete: recent ones in bulk, older ones one by one (if allowed)."""

    recent: tuple[int, ...]
    old: tuple[int, ...]

    def batches(self) -> Iterator[Sequence[int]]:
        """The recent ids in bulk-delete batches of 100 at most."""
        for start in range(0, len(self.recent), BULK_DELETE_BATCH):
            yield self.recent[start : start + BULK_DELETE_BATCH]


def plan_purge(
    messages: Iterable[MessageFacts], purge: PurgeFilter, amount: int, now: datetime
) -> PurgePlan:
    """The newest ``amount`` messages ``purge`` matches, split by Discord's bulk-delete bound."""
    oldest_bulk = now - BULK_DELETE_MAX_AGE + BULK_DELETE_MARGIN
    recent: list[int] = []
    old: list[int] = []
    for message in messages:
        if len(recent) + len(old) >= amount:
            break
        if not purge.matches(message):
            continue
        (recent if message.created_at >= oldest_bulk else old).append(message.id)
    return PurgePlan(tuple(recent), tuple(old))
