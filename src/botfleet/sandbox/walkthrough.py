"""The tour ``botfleet sandbox`` plays when no terminal is attached (CI, ``make run`` in a pipe).

A walkthrough is a console script: the same lines a person would type. Every bot gets the core
steps (``/ping``, ``/about``, its prefix ``ping``); a bot adds its own in its definition::

    BotDefinition(..., walkthrough=("/{bot}:start", ":press 1", ":expect Guess"))

``{bot}`` becomes the bot's fleet name and ``{prefix}`` its configured prefix, so the steps keep
working when an operator changes the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

from botfleet import bot_names, get_definition
from botfleet.sandbox.session import SandboxBot

CORE_STEPS: tuple[str, ...] = (
    "/{bot}:ping",
    ":expect Pong!",
    "/{bot}:about",
    ":expect Uptime",
    "{prefix}ping",
    ":expect Pong!",
)
"""What every bot answers, whatever else it does."""


def declared_steps(bot_name: str) -> tuple[str, ...]:
    """The walkthrough a fleet bot declares in its definition (none for a bot outside the fleet)."""
    if bot_name not in bot_names():
        return ()
    return get_definition(bot_name).walkthrough


def walkthrough_lines(bots: Iterable[SandboxBot]) -> list[str]:
    """The whole tour: for each bot a heading, the core steps, then the bot's own."""
    lines: list[str] = []
    for bot in bots:
        lines.append(f":note {bot.display_name} (text commands start with {bot.prefix})")
        for step in (*CORE_STEPS, *declared_steps(bot.name)):
            lines.append(step.replace("{bot}", bot.name).replace("{prefix}", bot.prefix))
    return lines
