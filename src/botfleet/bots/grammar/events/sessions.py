"""Gateway sessions: a new one lets the previous session's frozen objects be freed.

The checker freezes the objects alive once its engines are loaded (see
:meth:`GrammarChecker.refreeze`); discord.py builds new guilds, members and channels on every
READY after the first of a shard (an identify after the session was invalidated), and the old
ones must not stay frozen.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from discord.ext import commands

from botfleet.bots.grammar.services.checker import GrammarChecker

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


class SessionEvents(commands.Cog, name="Grammar sessions"):
    """Asks the checker to free what a shard's previous session left frozen."""

    def __init__(self, bot: FleetBot, checker: GrammarChecker) -> None:
        self.bot = bot
        self.checker = checker
        self._sessions: Counter[int] = Counter(dict.fromkeys(bot.shards, 1))
        """READYs per shard, counted as discord.py parses them (it sends no ``shard_ready``
        for a session replaced before its guilds arrived, and none on a resume); a shard
        already connected when this cog is made (an extension reload) had one."""

    @commands.Cog.listener()
    async def on_shard_connect(self, shard_id: int) -> None:
        self._sessions[shard_id] += 1

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """Refreeze once a shard's session replaced another; a first session has nothing
        frozen to free (the engines freeze after it), and a full collection then would only
        hold the interpreter while the bot gets ready."""
        if self._sessions[shard_id] > 1:
            await self.checker.refreeze()
