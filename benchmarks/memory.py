"""Memory of idle bot processes, of the whole fleet in one process, and per 1,000 cached members.

Run::

    .venv/bin/python benchmarks/memory.py

Every process logs in to a local Discord stand-in started here (one guild, the bot alone in
it) with a SQLite database migrated beforehand, as production runs ``botfleet db upgrade``
once and never migrates on start (``database.auto_migrate`` off), and its resident set size
(VmRSS) is read from /proc once it is ready and has settled. Measured in one run:

* **baseline**: a bare ``discord.Client`` logged in the same way: what any discord.py bot pays.
* **each bot**, one process per bot, started as ``botfleet run`` starts it (``python -OO -m
  botfleet.bots.<name>``: no docstrings; the configuration files handed over, not parsed), its
  bytecode compiled once beforehand by an unmeasured start, as production compiles it at install
  (``make install-production``, the image). The Grammar Bot's language engines (spaCy and the spell
  checkers) load in the background after it is ready; its figure once they are loaded is reported
  apart.
* **``botfleet run hangman``** as systemd and the container run a bot: the command checks the
  configuration, then replaces itself with the light supervisor that starts the bot as its
  child; the figure is both processes (the Hangman Bot's own figure above, plus the supervisor).
* **a bot with ``auto_migrate`` on** (the development default) on a database at the newest
  revision, which it reads without Alembic, and on an empty database, which it migrates:
  what Alembic and the migration add.
* **the fleet in one process** (``botfleet run --all --one-process``): the six bots, and the
  five without the Grammar Bot.
* **per 1,000 cached members**: the Utility Bot (which caches members) in a guild of 5,000
  members, against the same bot in an empty guild.

``--before SRC`` measures each bot, and the fleet in one process, a second time in the same
run, on another checkout's ``src`` folder (``git archive main src | tar -x -C /tmp/main``, then
``--before /tmp/main/src``): the figures before and after a change, beside the same baseline.
MALLOC_ARENA_MAX=2 in the bots' environment was measured this way and changed nothing
(±0.3 MB): an idle bot's threads allocate little. What the bot's start-up freed on the C heap
is given back once it is ready (glibc's ``malloc_trim``); ``gc.freeze()`` after start-up was
measured to change nothing (it spares the collector's time, not memory).

Goals (issue 16): an idle bot under 80 MB (the Grammar Bot's engines apart), the whole fleet in
one process under 250 MB. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botfleet import bot_names, get_definition
from botfleet.config import token_variable
from botfleet.config.loader import CONFIG_FILES_VARIABLE, handed_config_files
from botfleet.core.supervisor import BOT_PYTHON_OPTIONS
from botfleet.database import migrate
from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.fleet import bot_process_environment

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 180.0
SETTLE_SECONDS = 3.0
"""After ready: the start-up's garbage collected, background loads begun."""
ENGINES_OFF = {f"BOTFLEET_OPTIONS__{engine}": "false" for engine in ("HARPER", "RULES", "SPELLING")}
"""The Grammar Bot without its language engines: what is left of it once they are reported
apart (the issue's goals count them apart)."""
ENGINES_SECONDS = 20.0
"""How long the Grammar Bot gets to load its language engines before the second reading."""
MEMBERS = 5000
OUTPUT_LINE_LIMIT = 1 << 24
"""Bytes of one output line: a debug log line may quote a whole guild."""
BARE_CLIENT = """
import asyncio, os, discord
from botfleet.core.discord_target import point_discord_at

async def main():
    client = discord.Client(intents=discord.Intents.default())

    @client.event
    async def on_ready():
        print("ready as", client.user, flush=True)

    with point_discord_at(os.environ["BOTFLEET_DISCORD__API_BASE"]):
        await client.start(os.environ["BARE_TOKEN"])

asyncio.run(main())
"""


def bot_argv(name: str) -> tuple[str, ...]:
    """The bot's process as the supervisor starts it."""
    return (*BOT_PYTHON_OPTIONS, "-m", f"botfleet.bots.{name}")


def rss_mb(pid: int) -> float:
    """The resident set size of ``pid`` in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def family_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its children (``botfleet run`` starts the bot as a child)."""
    total = rss_mb(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split():
        total += family_rss_mb(int(child))
    return total


async def start_python(
    argv: Sequence[str], directory: Path, environment: Mapping[str, str]
) -> asyncio.subprocess.Process:
    """``python <argv>`` in ``directory``, its output (stdout and stderr) on one pipe."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        cwd=directory,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        limit=OUTPUT_LINE_LIMIT,
    )


async def measure(
    argv: Sequence[str],
    tokens: Mapping[str, str],
    api_base: str,
    *,
    database_url: str | None = None,
    auto_migrate: bool = False,
    ready_lines: int = 1,
    later: float | None = None,
    hand_over: Sequence[str] = (),
) -> tuple[float, float | None]:
    """Start ``python <argv>``, wait for its bots' ready lines, settle, read its RSS.

    On ``database_url`` (migrated already) when given, else on an empty database of its own
    that it migrates on start; ``auto_migrate`` has it check the schema on ``database_url``
    too. With ``later``, a second reading that many seconds after the first. ``hand_over``
    names the bots whose configuration files it gets as ``botfleet run`` hands them over.
    """
    settings = {**tokens, "LOG_LEVEL": "INFO"}
    if database_url is not None:
        settings |= {
            "BOTFLEET_DATABASE__URL": database_url,
            "BOTFLEET_DATABASE__AUTO_MIGRATE": str(auto_migrate).lower(),
        }
    with tempfile.TemporaryDirectory(prefix="botfleet-memory-") as directory:
        environment = bot_process_environment(api_base, Path(directory), REPO / "config", settings)
        handed = handed_config_files(hand_over, environment) if hand_over else None
        if handed is not None:
            environment[CONFIG_FILES_VARIABLE] = handed
        process = await start_python(argv, Path(directory), environment)
        assert process.stdout is not None
        reader: asyncio.Task[bytes] | None = None
        try:
            ready = 0
            while ready < ready_lines:
                line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
                if not line:
                    raise RuntimeError(f"{' '.join(argv)} ended before it was ready")
                ready += b"ready as" in line
            reader = asyncio.create_task(process.stdout.read())  # keep the pipe drained
            await asyncio.sleep(SETTLE_SECONDS)
            first = family_rss_mb(process.pid)
            second = None
            if later is not None:
                await asyncio.sleep(later)
                second = family_rss_mb(process.pid)
        finally:
            process.terminate()
            await process.wait()
            if reader is not None:
                await reader
        return first, second


async def main(before: Path | None, only: Sequence[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="botfleet-memory-schema-") as directory:
        database_url = f"sqlite+aiosqlite:///{directory}/botfleet.db"
        await migrate.upgrade(database_url)
        await measure_fleet(database_url, before, only)


async def measure_fleet(
    database_url: str, before: Path | None = None, only: Sequence[str] = ()
) -> None:
    """Print every figure, the bots on ``database_url`` (migrated already); each idle bot on
    the code in ``before`` too when given. With ``only``, just those bots idle (and the
    baseline): a quick reading while working on one cost."""
    with tempfile.TemporaryDirectory(prefix="botfleet-memory-bytecode-") as bytecode:
        compiled = {"PYTHONPYCACHEPREFIX": bytecode, "PYTHONDONTWRITEBYTECODE": ""}
        await _measure_fleet(database_url, before, only, compiled)


@dataclass
class FleetRun:
    """One run's stand-in (every bot's application in one guild) and how bots start in it."""

    sandbox: DiscordSandbox
    apps: dict[str, Application]
    database_url: str
    compiled: Mapping[str, str]
    """The environment that keeps the bots' bytecode (see :func:`measure_fleet`)."""
    before: Path | None

    def tokens(self, *bots: str) -> dict[str, str]:
        return {token_variable(bot): self.apps[bot].token for bot in bots}

    async def command(self, arguments: Sequence[str], bot: str) -> float:
        """``python -m botfleet <arguments>`` and what it starts, started twice (the first
        compiles the command line's bytecode)."""
        argv = ("-m", "botfleet", *arguments)
        settings = {**self.tokens(bot), **self.compiled}
        await measure(argv, settings, self.sandbox.url, database_url=self.database_url)
        family, _ = await measure(argv, settings, self.sandbox.url, database_url=self.database_url)
        return family

    async def bot(
        self, name: str, code: Path | None = None, settings: Mapping[str, str] = {}, **options: Any
    ) -> tuple[float, float | None]:
        """The bot alone (on the ``src`` folder ``code`` when given, with ``settings`` in its
        environment), started twice: the first start compiles its bytecode."""
        environment = {**self.tokens(name), **self.compiled, **settings}
        if code is not None:
            environment["PYTHONPATH"] = str(code)
        options = {**options, "hand_over": (name,)}  # as `botfleet run` starts it
        url = self.sandbox.url
        await measure(bot_argv(name), environment, url, **{**options, "later": None})
        return await measure(bot_argv(name), environment, url, **options)

    async def each_bot(self, bots: Sequence[str], baseline: float) -> float:
        """Each bot alone; the Grammar Bot's engines measured apart: what they add."""
        engines = 0.0
        for name in bots:
            later = ENGINES_SECONDS if name == "grammar" else None
            idle, loaded = await self.bot(name, database_url=self.database_url, later=later)
            goal = "" if later else f"  (goal < 80 MB; +{idle - baseline:.1f} MB)"
            print(f"{f'{name}: one process, idle':<52} {idle:7.1f} MB{goal}")
            if loaded is not None:
                print(f"{f'{name}: with its language engines loaded':<52} {loaded:7.1f} MB")
                off, _ = await self.bot(name, settings=ENGINES_OFF, database_url=self.database_url)
                engines = loaded - off
                print(f"{f'{name}: its engines switched off':<52} {off:7.1f} MB  (goal < 80 MB)")
            if self.before is not None:
                earlier, _ = await self.bot(name, self.before, database_url=self.database_url)
                print(f"{f'{name}: the same, on {self.before}':<52} {earlier:7.1f} MB")
        return engines

    async def fleets(self, engines: float) -> None:
        """Every bot in one process, and every bot but Grammar (``engines``: its engines)."""
        names = list(self.apps)
        without_grammar = [name for name in names if name != "grammar"]
        for label, bots in (("all bots", names), ("all but grammar", without_grammar)):
            fleet = await self.fleet(bots)
            apart = engines if "grammar" in bots else 0.0
            print(
                f"{f'the fleet in one process ({label}, {len(bots)})':<52} {fleet:7.1f} MB"
                f"  (goal < 250 MB: {fleet - apart:.1f} MB without Grammar's engines)"
            )
            if self.before is not None:
                earlier = await self.fleet(bots, self.before)
                print(f"{f'the same, on {self.before}':<52} {earlier:7.1f} MB")

    async def fleet(self, bots: Sequence[str], code: Path | None = None) -> float:
        """``botfleet run --all --one-process`` with the tokens of ``bots`` (on ``code``)."""
        environment = self.tokens(*bots)
        if code is not None:
            environment["PYTHONPATH"] = str(code)
        fleet, _ = await measure(
            ("-m", "botfleet", "run", "--all", "--one-process"),
            environment,
            self.sandbox.url,
            database_url=self.database_url,
            ready_lines=len(bots),
        )
        return fleet


async def _measure_fleet(
    database_url: str, before: Path | None, only: Sequence[str], compiled: Mapping[str, str]
) -> None:
    """:func:`measure_fleet`, the bots' bytecode kept as ``compiled`` (environment) says."""
    async with DiscordSandbox() as sandbox:
        apps = {
            name: sandbox.add_application(get_definition(name).display_name) for name in bot_names()
        }
        bare = sandbox.add_application("Bare Client")
        sandbox.create_guild("Idle", bots=[bare, *apps.values()])
        run = FleetRun(sandbox, apps, database_url, compiled, before)
        baseline, _ = await measure(("-c", BARE_CLIENT), {"BARE_TOKEN": bare.token}, sandbox.url)
        print(f"{'baseline: a bare discord.py client':<52} {baseline:7.1f} MB")
        engines = await run.each_bot(only or list(apps), baseline)
        if only:
            return
        supervised = await run.command(("run", "hangman"), "hangman")
        print(f"{'botfleet run hangman: the supervisor and the bot':<52} {supervised:7.1f} MB")
        checking, _ = await run.bot("hangman", database_url=database_url, auto_migrate=True)
        print(f"{'hangman: auto_migrate on, its database at the newest':<52} {checking:7.1f} MB")
        migrating, _ = await run.bot("hangman")
        print(f"{'hangman: migrating its empty database on start':<52} {migrating:7.1f} MB")
        await run.fleets(engines)
        crowd = sandbox.create_guild("Crowd", bots=[apps["utility"]])
        for index in range(MEMBERS):
            crowd.add_member(f"member{index}")
        crowded, _ = await run.bot("utility", database_url=database_url)
    empty, _ = await _utility_alone(database_url, compiled)
    per_thousand = (crowded - empty) / (MEMBERS / 1000)
    print(f"{'utility: per 1,000 cached members':<52} {per_thousand:7.1f} MB")


async def _utility_alone(
    database_url: str, compiled: Mapping[str, str]
) -> tuple[float, float | None]:
    """The Utility Bot in one empty guild: the reference for the member cache's cost."""
    async with DiscordSandbox() as sandbox:
        app = sandbox.add_application(get_definition("utility").display_name)
        sandbox.create_guild("Empty", bots=[app])
        return await measure(
            bot_argv("utility"),
            {token_variable("utility"): app.token, **compiled},
            sandbox.url,
            database_url=database_url,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--before",
        type=Path,
        help="Also measure each idle bot on this src folder (another checkout's code).",
    )
    parser.add_argument(
        "--bots",
        nargs="+",
        choices=bot_names(),
        default=(),
        help="Measure only these bots idle (with the baseline), nothing else.",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.before, arguments.bots))
