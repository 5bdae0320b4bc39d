"""Slash command option limits read from settings, so Discord's own form enforces them.

``app_commands.Range`` needs its bounds when the class is defined, but some limits are
settings (a poll's question, a reminder's text, a grammar check). A cog calls
:func:`limit_text_option` in its ``__init__``, before it is added to the tree: the option then
declares the limit the service checks, and a member can no longer type a text the form takes
and the bot then refuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from discord import AppCommandOptionType, app_commands
from discord.ext import commands

STORED_NUMBER_LIMIT: Final = 2**31 - 1
"""The largest number a 32-bit column holds (PostgreSQL's ``integer``, which numbers cases,
polls, reminders and role menus)."""
StoredNumber = app_commands.Range[int, 1, STORED_NUMBER_LIMIT]
"""An option naming a stored row by its number. Discord lets a member type up to 2^53; past
the column's limit PostgreSQL refused the query and the member got an internal error, so the
form now stops such a number."""


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


NUL = "\x00"
NUL_STAND_IN = "\ufffd"
"""What a NUL character typed into an option becomes (the replacement character)."""


def replace_nul_characters(data: Mapping[str, Any]) -> None:
    """Replace every NUL character in the text options of a slash command's ``data`` (its
    subcommands' included), in place, before the command reads them.

    Discord passes a NUL through and PostgreSQL refuses to store or even compare one, so a
    member's ``/tag show`` of such a name ended in an internal error.
    """
    for option in data.get("options") or []:
        value = option.get("value")
        if isinstance(value, str) and NUL in value:
            option["value"] = value.replace(NUL, NUL_STAND_IN)
        replace_nul_characters(option)
