"""The gamification commands: /rank, /leaderboard, /achievements, and admin /xp and /levels.

Only the bot the configuration names (``gamification.host_bot``, the Utility Bot by default)
loads this extension, so six bots in one guild show these commands once; every bot earns XP
through :mod:`botfleet.gamification.discord.extension`. The host also keeps members' reward roles
in step (:mod:`botfleet.gamification.discord.role_sync`): when they join, when their XP or the
guild's rewards change, at their next message after a while, and on ``/levels resync``. Each
command group has its module: :mod:`.members`, :mod:`.xp`, :mod:`.levels`, :mod:`.levels_config`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botfleet.gamification.discord.commands.members import GamificationCommands

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

__all__ = ["GamificationCommands", "setup"]


async def setup(bot: FleetBot) -> None:
    await bot.add_cog(GamificationCommands(bot))
