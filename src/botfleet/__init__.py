"""botfleet: Discord bots standing on one shared infrastructure.

The fleet is whatever bots are installed: each names its :class:`~botfleet.core.definition.
BotDefinition` under the ``botfleet.bots`` entry-point group, so a third-party bot joins by
installing its package. Listing the names reads only the installed metadata; a definition is
imported when it is asked for.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from botfleet.core.definition import BotDefinition

BOTS_ENTRY_POINT_GROUP = "botfleet.bots"
"""Where a package declares its bots: ``<name> = "package.module:DEFINITION"``."""
BOT_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
"""A bot's name becomes a config file, a token variable and a CLI argument."""


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata when first asked for: importlib.metadata
    is 3 MB of a process that never asks, the supervisor of ``botfleet run``."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("botfleet")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


class BotDiscoveryError(RuntimeError):
    """An installed ``botfleet.bots`` entry point that does not give one well-formed bot."""


def _origin(entry: EntryPoint) -> str:
    """Which installed distribution declares ``entry``, for the operator who must fix it."""
    distribution = entry.dist.name if entry.dist is not None else "an unknown distribution"
    return f"{entry.name} = {entry.value!r} (from {distribution})"


@cache
def _bot_entry_points() -> dict[str, EntryPoint]:
    """The installed bots' entry points by bot name, in alphabetical order (the fleet's order,
    the same whichever packages declare them)."""
    from importlib.metadata import entry_points  # noqa: PLC0415

    found: dict[str, EntryPoint] = {}
    for entry in sorted(entry_points(group=BOTS_ENTRY_POINT_GROUP), key=lambda e: e.name):
        if not BOT_NAME_PATTERN.fullmatch(entry.name):
            raise BotDiscoveryError(
                f"{BOTS_ENTRY_POINT_GROUP}: {_origin(entry)}: a bot's name is lower-case "
                "letters, digits and underscores, starting with a letter"
            )
        if entry.name in found:
            raise BotDiscoveryError(
                f"{BOTS_ENTRY_POINT_GROUP}: two packages declare the bot {entry.name!r}: "
                f"{_origin(found[entry.name])} and {_origin(entry)}; uninstall one"
            )
        found[entry.name] = entry
    return found


def bot_names() -> tuple[str, ...]:
    """The fleet's bots by name, without importing any of them."""
    return tuple(_bot_entry_points())


def unknown_bot_message(name: str) -> str:
    """What to tell someone who named a bot the fleet does not have."""
    names = bot_names()
    if not names:
        return (
            f"unknown bot {name!r}: no bot is installed; install botfleet (`make install`) so "
            f"its {BOTS_ENTRY_POINT_GROUP} entry points exist"
        )
    return f"unknown bot {name!r}; the bots are: {', '.join(names)}"


@cache
def get_definition(name: str) -> BotDefinition[Any]:
    """The definition the ``name`` entry point names, imported on first use.

    Raises KeyError for a name no installed package declares, and BotDiscoveryError when the
    entry point cannot be imported or does not give a definition of that name.
    """
    from botfleet.core.definition import BotDefinition  # noqa: PLC0415  (imports discord.py)

    entry = _bot_entry_points().get(name)
    if entry is None:
        raise KeyError(unknown_bot_message(name))
    try:
        definition = entry.load()
    except Exception as exc:  # any error of a third-party module: say which entry point
        raise BotDiscoveryError(
            f"{BOTS_ENTRY_POINT_GROUP}: {_origin(entry)} cannot be imported: {exc!r}"
        ) from exc
    if not isinstance(definition, BotDefinition):
        raise BotDiscoveryError(
            f"{BOTS_ENTRY_POINT_GROUP}: {_origin(entry)} names a "
            f"{type(definition).__name__}, not a BotDefinition"
        )
    if definition.name != name:
        raise BotDiscoveryError(
            f"{BOTS_ENTRY_POINT_GROUP}: {_origin(entry)} names the bot {definition.name!r}; "
            "the entry point and the definition must agree on the name"
        )
    return definition


def bot_definitions() -> tuple[BotDefinition[Any], ...]:
    """Every installed bot's definition, in the order of :func:`bot_names`."""
    return tuple(get_definition(name) for name in bot_names())
