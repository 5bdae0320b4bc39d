"""``botfleet run <bot>`` as production runs it (systemd, the container): once its checks are
done the command replaces itself with the light supervisor (issue 16), which keeps the bot up
and stops it cleanly, holding none of the libraries the bot itself loads; the bot gets the
configuration files the command read, and loads no YAML parser."""

from __future__ import annotations

import asyncio
from pathlib import Path

from scale_processes import BotProcess

from botfleet.sandbox import DiscordSandbox

HEAVY_LIBRARIES = ("pydantic_core", "sqlalchemy", "aiohttp")
"""Packages with compiled parts, seen in a process's memory map once imported: the settings'
validation, the database, discord.py's HTTP client."""
YAML = "yaml"
"""PyYAML, whose import loads its compiled parser (libyaml) too."""


def mapped_libraries(pid: int) -> set[str]:
    """Which of :data:`HEAVY_LIBRARIES` and :data:`YAML` the process ``pid`` has loaded."""
    maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8")
    return {name for name in (*HEAVY_LIBRARIES, YAML) if f"/{name}/" in maps}


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_botfleet_run_becomes_a_light_supervisor_that_stops_its_bot_cleanly(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    discord_sandbox.create_guild("Word Club", bots=[app])
    process = await BotProcess.start(
        ("run", "hangman"), discord_sandbox.url, tmp_path, {"HANGMAN_DISCORD_TOKEN": app.token}
    )
    try:
        await process.wait_for_output("ready as")
        pid = process.process.pid
        command = await asyncio.to_thread(Path(f"/proc/{pid}/cmdline").read_bytes)
        [bot] = await asyncio.to_thread(children_of, pid)
        supervisor_loaded = await asyncio.to_thread(mapped_libraries, pid)
        bot_loaded = await asyncio.to_thread(mapped_libraries, bot)
        status = await process.stop()
    finally:
        await process.kill()
    assert b"botfleet.core.supervisor" in command.split(b"\0"), "the same id, the supervisor"
    assert supervisor_loaded == set()
    assert bot_loaded == set(HEAVY_LIBRARIES), "the check sees what a process loaded"
    assert YAML not in bot_loaded, "the bot got the files read, not to parse"
    assert status == 0, process.text
    assert process.text.count("starting hangman") == 1
    fleet_log = (tmp_path / "logs" / "fleet.log").read_text(encoding="utf-8")
    assert "started hangman (pid" in fleet_log
    assert "hangman stopped (status 0)" in fleet_log
