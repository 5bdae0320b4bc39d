"""The guilds a process knows to have no puzzle channel, kept out of the shared memory tier.

Every one-word message in a server asks for its puzzle channel. A server that has one holds it
as a cache entry (``CacheKeys.guild_state``); a server that never set one is by far the common
case, and one entry each would push useful entries out of the fleet's 10,000-entry memory tier.
So the absence is a guild id in a bounded map of the Bee's own, valid under a *generation*: one
shared cache entry (:data:`NO_CHANNEL_STATE`) whose value is a random token. Setting a puzzle
channel invalidates that entry in every process; the next read there loads a new token, and
every absence noted under the old one counts no longer (it is read again, once).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Final

NO_CHANNEL_STATE: Final = "spelling_bee_no_channel"
"""The cache's name for the generation the absences are valid under (``CacheKeys.bot_state``)."""
GUILDS_WITHOUT_CHANNEL_HELD: Final = 50_000
"""Absences a process keeps (about 4.4 MB when full); the least recently asked go first, and a
guild forgotten is read from the database again at its next one-word message."""


async def new_generation() -> str:
    """A token no earlier generation had (a cache loader: the entry's value when missed).

    Two processes that miss at once may each store their own; each then holds the one it read
    until the next invalidation, which drops both: it costs a read, never a stale absence.
    """
    return secrets.token_hex(8)


class GuildsWithoutChannel:
    """Guilds read to have no puzzle channel under one generation, at most ``held`` of them."""

    def __init__(self, held: int = GUILDS_WITHOUT_CHANNEL_HELD) -> None:
        self._held = held
        self._generation: str | None = None
        self._guilds: OrderedDict[int, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._guilds)

    def holds(self, guild_id: int, generation: str | None) -> bool:
        """Whether ``guild_id`` was read to have none under ``generation`` (None: no
        generation is known, so nothing is)."""
        if generation is None or generation != self._generation or guild_id not in self._guilds:
            return False
        self._guilds.move_to_end(guild_id)  # a server that chats is kept over an idle one
        return True

    def note(self, guild_id: int, generation: str) -> None:
        """``guild_id`` had none when read under ``generation`` (read before the database, so a
        channel set meanwhile changed it); a new generation forgets every older absence."""
        if generation != self._generation:
            self._guilds.clear()
            self._generation = generation
        self._guilds[guild_id] = None
        if len(self._guilds) > self._held:
            self._guilds.popitem(last=False)
