"""Reading a slash command's options as a person types them: ``/cmd sub name:value``.

Finds the command a line names and turns each typed value into what the option's type needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botfleet.sandbox.console_io import ConsoleError
from botfleet.sandbox.models import ApplicationCommand
from botfleet.sandbox.render import (
    BUTTON,
    button_label,
)
from botfleet.sandbox.scripting import (
    SandboxFile,
)
from botfleet.sandbox.session import (
    SandboxBot,
)

_SUBCOMMAND_TYPES = (1, 2)


CHAT_INPUT = 1


USER_MENU = 2


MESSAGE_MENU = 3


MENU_TYPES = (USER_MENU, MESSAGE_MENU)


_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})


_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


def names_of(component: dict[str, Any]) -> list[str]:
    """What a person may call a component, folded: its label, with its emoji, its placeholder."""
    names = [
        str(component.get("label") or ""),
        button_label(component) if component.get("type") == BUTTON else "",
        str(component.get("placeholder") or ""),
    ]
    return [name.casefold() for name in names if name]


def commands_of(bot: SandboxBot, guild_id: int) -> list[ApplicationCommand]:
    app = bot.application
    return [*app.guild_commands.get(guild_id, {}).values(), *app.global_commands.values()]


def find_command(
    bot: SandboxBot, name: str, guild_id: int, types: Sequence[int]
) -> ApplicationCommand | None:
    """The bot's command called ``name`` of one of ``types`` (a slash command, a menu)."""
    for command in commands_of(bot, guild_id):
        if command.name == name and command.type in types:
            return command
    return None


def split_arguments(tokens: Sequence[str], name: str) -> tuple[list[str], dict[str, str]]:
    """Subcommand words first, then ``name:value`` options."""
    path: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        option_name, colon, value = token.partition(":")
        if colon:
            options[option_name] = value
        elif options:
            raise ConsoleError(
                f"/{name}: {token!r} comes after the options; write options as name:value"
            )
        else:
            path.append(token)
    return path, options


def option_definitions(command: ApplicationCommand, path: Sequence[str]) -> list[dict[str, Any]]:
    definitions = command.options
    for depth, part in enumerate(path):
        found = next(
            (
                option
                for option in definitions
                if option.get("name") == part and option.get("type") in _SUBCOMMAND_TYPES
            ),
            None,
        )
        if found is None:
            where = "/" + " ".join([command.name, *path[:depth]])
            subcommands = [o["name"] for o in definitions if o.get("type") in _SUBCOMMAND_TYPES]
            if not subcommands:
                raise ConsoleError(f"{where} has no subcommands; write its options as name:value")
            raise ConsoleError(f"{where} has no subcommand {part!r}; it has {subcommands}")
        definitions = found.get("options") or []
    return definitions


def definition_named(
    definitions: Sequence[dict[str, Any]], name: str, label: str
) -> dict[str, Any]:
    for definition in definitions:
        if definition.get("name") == name and definition.get("type") not in _SUBCOMMAND_TYPES:
            return definition
    names = [d["name"] for d in definitions if d.get("type") not in _SUBCOMMAND_TYPES]
    if any(d.get("type") in _SUBCOMMAND_TYPES for d in definitions):
        subcommands = [d["name"] for d in definitions]
        raise ConsoleError(f"{label} needs a subcommand first, one of {subcommands}")
    raise ConsoleError(f"{label} has no option {name!r}; its options are {names}")


def parse_whole_number(raw: str, where: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConsoleError(f"{where} takes a whole number, not {raw!r}") from None


def parse_number(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConsoleError(f"{where} takes a number, not {raw!r}") from None


def parse_yes_or_no(raw: str, where: str) -> bool:
    word = raw.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ConsoleError(f"{where} takes true or false, not {raw!r}")


async def upload_attachment(raw: str, where: str) -> SandboxFile:
    try:
        return await asyncio.to_thread(_read_upload, raw)
    except OSError as error:
        raise ConsoleError(
            f"{where} takes a file to upload; cannot read {raw!r}: {error.strerror}"
        ) from None


def _read_upload(raw: str) -> SandboxFile:
    path = Path(raw).expanduser()
    return SandboxFile(path.name, path.read_bytes())


def option_value_of(options: Sequence[dict[str, Any]], wanted: str) -> str:
    """A menu option's value from its number, label or value."""
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return str(options[int(wanted) - 1]["value"])
    for option in options:
        if wanted.lower() in (str(option.get("label", "")).lower(), str(option["value"]).lower()):
            return str(option["value"])
    labels = [str(option.get("label") or option["value"]) for option in options]
    raise ConsoleError(f"the menu has no option {wanted!r}; its options are {labels}")
