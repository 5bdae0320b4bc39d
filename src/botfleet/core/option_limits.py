"""Slash command option limits read from settings, so Discord's own form enforces them.

``app_commands.Range`` needs its bounds when the class is defined, but some limits are
settings (a poll's question, a reminder's text, a grammar check). A cog calls
:func:`limit_text_option` in its ``__init__``, before it is added to the tree: the option then
declares the limit the service checks, and a member can no longer type a text the form takes
and the bot then refuses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from discord import AppCommandOptionType, app_commands
from discord.ext import commands


def limit_text_option(
    cog: commands.Cog, command_name: str, option: str, *, max_length: int, min_length: int = 1
) -> None:
    """Declare ``min_length``..``max_length`` characters on the text option of this cog's
    command ``command_name`` (its qualified name, such as ``"poll create"``)."""
    command = next(
        (
            found
            for found in cog.walk_app_commands()
            if isinstance(found, app_commands.Command) and found.qualified_name == command_name
        ),
        None,
    )
    if command is None:
        raise LookupError(f"{cog.qualified_name} has no command /{command_name}")
    parameters: dict[str, Any] = command._params  # discord.py has no public setter
    parameter = parameters.get(option)
    if parameter is None or parameter.type is not AppCommandOptionType.string:
        raise LookupError(f"/{command_name} has no text option {option!r}")
    # A copy: the cog's command shares its parameters with the class's definition.
    parameters[option] = dataclasses.replace(parameter, min_value=min_length, max_value=max_length)
