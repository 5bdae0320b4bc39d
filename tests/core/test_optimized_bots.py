"""Bots run without docstrings (``python -OO``, issue 16): what Discord and members see is the
same as with them, since every description is given in code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from botfleet.core.supervisor import BOT_PYTHON_OPTIONS

WHAT_MEMBERS_SEE = """
import asyncio, dataclasses, json, sys, tempfile
from pathlib import Path
from botfleet import bot_names, get_definition
from botfleet.core.bot import FleetBot
from botfleet.core.help import command_lines
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot

LEFT_OUT = {"id", "application_id", "version"}  # the stand-in's numbering


async def main():
    seen = {}
    with tempfile.TemporaryDirectory() as directory:
        async with DiscordSandbox() as sandbox:
            for name in bot_names():
                definition = get_definition(name)
                app = sandbox.add_application(definition.display_name)
                sandbox.create_guild(name, bots=[app])
                settings = fleet_test_settings(name, Path(directory))
                # without bytecode for -OO yet, a loaded machine compiles every module first
                async with run_fleet_bot(sandbox, app, definition, settings, 180.0) as bot:
                    synced = [
                        {k: v for k, v in dataclasses.asdict(c).items() if k not in LEFT_OUT}
                        for c in app.global_commands.values()
                    ]
                    text = [[c.qualified_name, c.help, c.short_doc] for c in bot.walk_commands()]
                    seen[name] = {
                        "synced": sorted(synced, key=lambda c: (c["type"], c["name"])),
                        "help": command_lines(bot, settings.bot.prefix),
                        "text commands": sorted(text),
                    }
    docstrings = FleetBot.__doc__ is not None
    print(json.dumps({"optimize": sys.flags.optimize, "docstrings": docstrings, "bots": seen}))


asyncio.run(main())
"""
"""Every bot logged in to the stand-in: the commands it synced, its help, its text commands'
help; and whether the interpreter kept docstrings."""


def what_members_see(options: tuple[str, ...], directory: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, *options, "-c", WHAT_MEMBERS_SEE],
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    seen: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return seen


def test_every_bot_shows_the_same_commands_and_help_without_docstrings(tmp_path: Path) -> None:
    """The stand-in receives the same commands (names, descriptions, parameters' descriptions)
    from a bot run as the supervisor runs it as from one with docstrings, and its help reads the
    same."""
    with_docstrings = what_members_see((), tmp_path)
    as_supervised = what_members_see(BOT_PYTHON_OPTIONS, tmp_path)
    assert with_docstrings["docstrings"]
    assert not as_supervised["docstrings"]  # the supervisor's options do strip them
    assert set(with_docstrings["bots"]) == set(as_supervised["bots"])
    for name, seen in with_docstrings["bots"].items():
        assert seen["synced"], name
        assert as_supervised["bots"][name] == seen, name
