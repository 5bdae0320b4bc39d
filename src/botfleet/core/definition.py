"""What makes one bot of the fleet itself: the one declaration the rest of the fleet derives from.

A bot's package declares a :class:`BotDefinition` in its ``bot.py`` and names it under the
``botfleet.bots`` entry-point group (found by :func:`botfleet.get_definition`); the CLI, the
configuration, the privacy service, the database metadata and the sandbox's walkthrough all
read the bot from there, so a bot is one folder plus one entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic

import discord
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

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


class NoOptions(BaseModel):
    """The options of a bot that has none: the section stays empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)


OptionsT_co = TypeVar("OptionsT_co", bound=BaseModel, covariant=True, default=BaseModel)
"""A bot's options model; code that serves any bot (the fleet's shared cogs) leaves it out."""


@dataclass(frozen=True)
class BotDefinition(Generic[OptionsT_co]):
    """The static description of a bot, declared in its ``bots/<name>/bot.py``.

    Generic over the bot's options model, so its commands read ``bot.options`` with its own type.
    """

    name: str
    """The fleet name: config file, token variable, CLI argument; the entry point's name."""
    display_name: str
    prefix: str
    """The text-command prefix unless the settings choose another."""
    options_model: type[OptionsT_co]
    """The model of the ``options:`` section; :class:`NoOptions` when the bot has none."""
    extensions: tuple[str, ...] = ()
    intents: Callable[[], discord.Intents] = base_intents
    permissions: Callable[[], discord.Permissions] = base_permissions
    """The permissions its invite link asks for, which its managed role then holds."""
    privacy_modules: tuple[str, ...] = ()
    """Modules that register the bot's deleters with the privacy service when imported."""
    models_modules: tuple[str, ...] = ()
    """Modules that declare the bot's tables, so the database metadata is complete."""
    walkthrough: tuple[str, ...] = ()
    """Console lines ``botfleet sandbox`` plays to show the bot (``{bot}``, ``{prefix}``)."""
    core_extensions: tuple[str, ...] = field(default=CORE_EXTENSIONS)

    @property
    def all_extensions(self) -> tuple[str, ...]:
        """Core extensions first, then the bot's own."""
        return (*self.core_extensions, *self.extensions)

    def parse_options(self, options: Mapping[str, Any]) -> OptionsT_co:
        """Validate the ``options`` section of the settings against the bot's own model."""
        where = f"config/bots/{self.name}.yaml or BOTFLEET_OPTIONS__*"
        if self.options_model is NoOptions and options:
            keys = ", ".join(sorted(options))
            raise ConfigError(f"{where}: options: the {self.display_name} has none (got {keys})")
        return validate_section(self.options_model, options, section="options", where=where)
