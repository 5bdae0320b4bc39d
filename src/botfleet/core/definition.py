"""What makes one bot of the fleet itself: its name, its intents and its extensions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import discord

CORE_EXTENSIONS: tuple[str, ...] = ("botfleet.core.extensions.fleet",)
"""Extensions every bot loads: /ping, /about and the owner's sync command."""


def base_intents() -> discord.Intents:
    """The intents every bot needs: guilds, and messages for prefix commands."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


@dataclass(frozen=True)
class BotDefinition:
    """The static description of a bot, declared in its ``bots/<name>/bot.py``."""

    name: str
    display_name: str
    extensions: tuple[str, ...] = ()
    intents: Callable[[], discord.Intents] = base_intents
    core_extensions: tuple[str, ...] = field(default=CORE_EXTENSIONS)

    @property
    def all_extensions(self) -> tuple[str, ...]:
        """Core extensions first, then the bot's own."""
        return (*self.core_extensions, *self.extensions)
