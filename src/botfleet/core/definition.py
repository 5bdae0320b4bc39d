"""What makes one bot of the fleet itself: its name, prefix, intents, permissions, extensions
and options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord
from pydantic import BaseModel

from botfleet.config import ConfigError, validate_section

CORE_EXTENSIONS: tuple[str, ...] = ("botfleet.core.extensions.fleet",)
"""Extensions every bot loads: /ping, /about and the owner's sync command."""


def base_intents() -> discord.Intents:
    """The intents every bot needs: guilds, and messages for prefix commands.

    Message content is a privileged intent: the bot's application must have it switched on in
    the Discord developer portal (Bot page), or Discord refuses the connection.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


def base_permissions() -> discord.Permissions:
    """What every bot's invite asks for: to read and answer in channels.

    /ping, /about, text commands (a reply quotes the message, which needs the history) and the
    level-up announcements of the XP every bot awards. A bot adds what its own commands need;
    nothing more, so a server owner grants no power a bot never uses.
    """
    return discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True, read_message_history=True
    )


@dataclass(frozen=True)
class BotDefinition:
    """The static description of a bot, declared in its ``bots/<name>/bot.py``."""

    name: str
    display_name: str
    prefix: str
    extensions: tuple[str, ...] = ()
    intents: Callable[[], discord.Intents] = base_intents
    permissions: Callable[[], discord.Permissions] = base_permissions
    """The permissions its invite link asks for, which its managed role then holds."""
    options_model: type[BaseModel] | None = None
    core_extensions: tuple[str, ...] = field(default=CORE_EXTENSIONS)

    @property
    def all_extensions(self) -> tuple[str, ...]:
        """Core extensions first, then the bot's own."""
        return (*self.core_extensions, *self.extensions)

    def parse_options(self, options: Mapping[str, Any]) -> BaseModel | None:
        """Validate the ``options`` section of the settings against the bot's own model."""
        where = f"config/bots/{self.name}.yaml or BOTFLEET_OPTIONS__*"
        if self.options_model is None:
            if options:
                keys = ", ".join(sorted(options))
                raise ConfigError(
                    f"{where}: options: the {self.display_name} has none (got {keys})"
                )
            return None
        return validate_section(self.options_model, options, section="options", where=where)
