"""Soak: the six bots in one process under 1,000 members' messages, slash commands and buttons.

Run::

    .venv/bin/python benchmarks/soak.py                   (20,000 events: two to three minutes)
    .venv/bin/python benchmarks/soak.py --events 2000     (a quick look)
    .venv/bin/python benchmarks/soak.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/soak

The fleet runs as one machine runs it in production (``botfleet run --all --one-process``)
against a local Discord stand-in started here: one guild of ``--members`` members (a year-old
account each) in five text channels, and the six bots, on ``--database`` (migrated first; by
default a SQLite file of its own). Once every bot is ready and the Grammar Bot's language
engines are loaded, ``--concurrency`` members at a time play a fixed sequence of ``--events``
events, in a repeating mix:

* **message** (half): a chat line, which every bot hears (XP and achievements, AutoMod, the
  Grammar Bot's listener); nothing answers it, so a failure shows as an error in the fleet's
  log or metrics;
* **command** (a third): ``/ping`` or ``/about`` of each of the six bots in turn;
* **button** (a sixth): ``/grammar quiz``, then a press on one of its answers.

Printed: events sent and handled by kind (a command or button is handled when the bot answered
it before Discord's deadline); the latency of the answers (p50, p99: from the member's action to
the answer arriving); the bots' own posts (the Utility Bot's achievements) and how long after
the load the last one came; the fleet's resident set size (VmRSS) once ready, after half the
events and at the end, once the fleet is quiet; the most frequent warnings; and the errors:
answers that never came, the fleet's own count (``botfleet_errors`` and
``botfleet_commands{outcome="error"}`` on its /metrics), and log lines at ERROR or above.
Memory is flat when the second half of the events adds at most ``RSS_GROWTH_BOUND_MB`` (the
first half fills the caches of every member). The exit status is 1 when any error was seen.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import re
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from memory import READY_TIMEOUT, SETTLE_SECONDS, family_rss_mb, start_python

from botfleet import bot_names, get_definition
from botfleet.config import token_variable
from botfleet.database import migrate
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionHandle,
    InteractionResponse,
    SandboxChannel,
    SandboxMember,
    SandboxTimeoutError,
)
from botfleet.sandbox.fleet import bot_process_environment
from botfleet.utils.tasks import cancel_and_wait

REPO = Path(__file__).resolve().parents[1]
EVENTS = 20000
MEMBERS = 1000
CONCURRENCY = 12
CHANNELS = ("general", "chat", "games", "help", "random")
MIX = ("message", "message", "command", "message", "command", "button")
"""The kinds of events, in the order they repeat."""
COMMANDS = ("ping", "about")
ENGINES_LOADED = "grammar engine "
"""The Grammar Bot's log line once its language engines are loaded (one per engine)."""
RSS_GROWTH_BOUND_MB = 25.0
"""The end's RSS may exceed the start's by this much: caches of 1,000 members filling up."""
QUIET_SECONDS = 5.0
"""After the load, the fleet is done once it has posted and logged nothing for this long."""
DRAIN_TIMEOUT = 600.0
ERROR_LEVELS = {"ERROR", "CRITICAL"}
EXCEPTION_LINE = re.compile(r"[\w.]+(Error|Exception|Timeout)\w*: ")
FREEZE_INTERVAL = 2.0
"""Seconds between two freezes of this process's objects while the load runs (``keep_frozen``)."""
NUMBERS = re.compile(r"\d+(\.\d+)?")
WORDS = ("lovely", "weather", "anyone", "playing", "tonight", "spelling", "words", "music")


@dataclass
class Tally:
    """What the members did and what came back."""

    sent: Counter[str] = field(default_factory=Counter)
    handled: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """Seconds from a member's action to the bot's answer, by kind (command, button)."""
    unanswered: list[str] = field(default_factory=list)
    commands_by_bot: Counter[str] = field(default_factory=Counter)
    """Commands answered, by the bot that answered."""


@dataclass
class FleetOutput:
    """The fleet process's log, read as it comes: its JSON lines' levels, and the error lines."""

    lines: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    """WARNING lines by their text with the numbers taken out."""
    seen: set[str] = field(default_factory=set)

    def take(self, raw: bytes) -> str:
        text = raw.decode(errors="replace").strip()
        self.lines += 1
        level = "UNKNOWN"
        if text.startswith("{"):
            record = json.loads(text)
            level = str(record.get("level", "UNKNOWN"))
            text = str(record.get("message", text))
            if "exc_info" in record:
                text += f" ({exception_line(str(record['exc_info']))})"
        self.levels[level] += 1
        if level in ERROR_LEVELS or text.startswith("Traceback"):
            self.errors.append(text)
        elif level == "WARNING":
            self.warnings[NUMBERS.sub("N", text)] += 1
        if text.startswith(ENGINES_LOADED) or " ready as " in text:
            self.seen.add(text)
        return text


@dataclass
class Stage:
    """The stand-in's guild: its members, channels and the six bots' applications."""

    apps: dict[str, Application]
    members: list[SandboxMember]
    channels: list[SandboxChannel]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank), 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def exception_line(traceback: str) -> str:
    """The last line of ``traceback`` that names an exception (SQLAlchemy adds lines after it)."""
    lines = [line for line in traceback.splitlines() if EXCEPTION_LINE.match(line)]
    return lines[-1] if lines else traceback.strip().splitlines()[-1]


def chat_line(index: int) -> str:
    """A different ordinary sentence for each event."""
    first, second = WORDS[index % len(WORDS)], WORDS[(index // len(WORDS)) % len(WORDS)]
    return f"Message {index}: {first} and {second}, what do you think?"


async def answered(
    handle: InteractionHandle, kind: str, started: float, tally: Tally, label: str
) -> InteractionResponse | None:
    """Wait for the bot's answer to ``handle``; note its latency, or that it never came."""
    try:
        response = await handle.wait_for_response()
    except SandboxTimeoutError:
        tally.unanswered.append(label)
        return None
    tally.latencies[kind].append(time.perf_counter() - started)
    return response


async def play(index: int, stage: Stage, tally: Tally) -> None:
    """Event ``index`` of the fixed sequence: its member, channel and kind follow from it."""
    member = stage.members[index % len(stage.members)]
    channel = stage.channels[index % len(stage.channels)]
    kind = MIX[index % len(MIX)]
    tally.sent[kind] += 1
    if kind == "message":
        await member.send(channel, chat_line(index))
        tally.handled[kind] += 1
        return
    names = bot_names()
    if kind == "command":
        bot = names[(index // len(MIX)) % len(names)]
        command = COMMANDS[(index // (len(MIX) * len(names))) % len(COMMANDS)]
        started = time.perf_counter()
        handle = await member.run_command(channel, stage.apps[bot], command)
        label = f"event {index}: /{command} ({bot})"
        if await answered(handle, "command", started, tally, label) is not None:
            tally.handled[kind] += 1
            tally.commands_by_bot[bot] += 1
        return
    started = time.perf_counter()
    quiz = await member.run_command(
        channel, stage.apps["grammar"], "grammar", {}, subcommand="quiz"
    )
    asked = await answered(quiz, "command", started, tally, f"event {index}: /grammar quiz")
    if asked is None:
        return
    if asked.message is None or not asked.message.custom_ids:
        tally.unanswered.append(f"event {index}: /grammar quiz offered no answer")
        return
    started = time.perf_counter()
    handle = await member.click(asked.message, asked.message.custom_ids[0])
    label = f"event {index}: a /grammar quiz answer"
    if await answered(handle, "button", started, tally, label) is not None:
        tally.handled[kind] += 1


async def drive(events: range, concurrency: int, stage: Stage, tally: Tally) -> None:
    """Play ``events``, ``concurrency`` members at a time."""
    sequence: Iterator[int] = iter(events)

    async def member_at_a_time() -> None:
        for index in sequence:
            await play(index, stage, tally)

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(member_at_a_time())


async def keep_frozen() -> None:
    """Keep the stand-in's stored objects out of this process's garbage collections.

    The stand-in keeps every message, member and interaction, as Discord does, so this process's
    heap only grows: its full collections walked 300,000 to 560,000 objects, 1.5 to 2.7 s each at
    a load average of 9 to 12, and the stand-in then found the bots' answers to the interactions
    waiting meanwhile past Discord's deadline, errors charged to the bots (issue 19). Objects
    frozen every ``FREEZE_INTERVAL`` s are not walked again until the load ends; then they are
    unfrozen, and the cyclic garbage frozen with them (what the young collections had not
    reached yet) can be freed.
    """
    try:
        while True:
            gc.freeze()
            await asyncio.sleep(FREEZE_INTERVAL)
    finally:
        gc.unfreeze()


async def fleet_errors(port: int) -> int:
    """The fleet's own count of errors: ``botfleet_errors`` and commands that ended in error."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        exposition = await response.text()
    total = 0.0
    for line in exposition.splitlines():
        if line.startswith("botfleet_errors_total{") or (
            line.startswith("botfleet_commands_total{") and 'outcome="error"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def build_stage(sandbox: DiscordSandbox, members: int) -> Stage:
    apps = {
        name: sandbox.add_application(get_definition(name).display_name) for name in bot_names()
    }
    guild = sandbox.create_guild("Soak", bots=list(apps.values()))
    age = datetime.timedelta(days=365)
    people = [guild.add_member(f"member{index}", account_age=age) for index in range(members)]
    channels = [guild.channel("general")]
    channels += [guild.add_text_channel(name) for name in CHANNELS[1:]]
    return Stage(apps, people, channels)


@dataclass
class Figures:
    """What one soak measured."""

    tally: Tally
    members: int
    seconds: float
    """From the first event to the last answer."""
    drain_seconds: float
    """From the last answer until the fleet had nothing left to send (its queued posts)."""
    bot_posts: int
    rss_mb: tuple[float, float, float]
    """RSS once ready, after the first half of the events, and at the end (drained)."""
    counted_errors: int
    output: FleetOutput

    @property
    def errors(self) -> int:
        return len(self.tally.unanswered) + self.counted_errors + len(self.output.errors)


async def soak(
    events: int, members: int, concurrency: int, database_url: str | None = None
) -> Figures:
    """Run the fleet on ``database_url`` (migrated here; by default a SQLite file of its own)
    under ``events`` events of ``members`` members; what it measured."""
    with tempfile.TemporaryDirectory(prefix="botfleet-soak-") as directory:
        database_url = database_url or f"sqlite+aiosqlite:///{directory}/botfleet.db"
        await migrate.upgrade(database_url)
        async with DiscordSandbox() as sandbox:
            stage = build_stage(sandbox, members)
            port = unused_port()
            settings = {
                **{token_variable(name): app.token for name, app in stage.apps.items()},
                "BOTFLEET_DATABASE__URL": database_url,
                "BOTFLEET_DATABASE__AUTO_MIGRATE": "false",
                "BOTFLEET_HEALTH__PORT": str(port),
                "BOTFLEET_LOGGING__JSON_FORMAT": "true",
                "LOG_LEVEL": "INFO",
            }
            environment = bot_process_environment(
                sandbox.url, Path(directory), REPO / "config", settings
            )
            process = await start_python(
                ("-m", "botfleet", "run", "--all", "--one-process"), Path(directory), environment
            )
            output = FleetOutput()

            async def read_output() -> None:
                assert process.stdout is not None
                while line := await process.stdout.readline():
                    output.take(line)

            reader = asyncio.create_task(read_output())
            try:
                await ready(output, len(stage.apps))
                rss_start = family_rss_mb(process.pid)
                tally = Tally()
                freezing = asyncio.create_task(keep_frozen())
                started = time.perf_counter()
                await drive(range(events // 2), concurrency, stage, tally)
                rss_half = family_rss_mb(process.pid)
                await drive(range(events // 2, events), concurrency, stage, tally)
                seconds = time.perf_counter() - started
                await cancel_and_wait(freezing)
                bot_posts, drain_seconds = await drained(stage, output)
                return Figures(
                    tally,
                    members,
                    seconds,
                    drain_seconds,
                    bot_posts,
                    (rss_start, rss_half, family_rss_mb(process.pid)),
                    await fleet_errors(port),
                    output,
                )
            finally:
                process.terminate()
                await process.wait()
                await reader


async def ready(output: FleetOutput, bots: int) -> None:
    """Wait until every bot is ready and the Grammar Bot's engines are loaded, then settle."""
    deadline = time.monotonic() + READY_TIMEOUT
    while not (
        sum(" ready as " in line for line in output.seen) >= bots
        and any(line.startswith(ENGINES_LOADED) for line in output.seen)
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the fleet was not ready after {READY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.2)
    await asyncio.sleep(SETTLE_SECONDS)


async def drained(stage: Stage, output: FleetOutput) -> tuple[int, float]:
    """Wait until the fleet has posted and logged nothing for ``QUIET_SECONDS`` (at most
    ``DRAIN_TIMEOUT``); the bots' posts in the channels, and the seconds until the last."""
    started = time.monotonic()
    last_change = started
    snapshot = (-1, -1)
    while True:
        posts = sum(
            message.author.bot for channel in stage.channels for message in channel.messages()
        )
        if (posts, output.lines) != snapshot:
            snapshot, last_change = (posts, output.lines), time.monotonic()
        elif time.monotonic() - last_change >= QUIET_SECONDS:
            return posts, last_change - started
        if time.monotonic() - started > DRAIN_TIMEOUT:
            raise RuntimeError(f"the fleet was still busy {DRAIN_TIMEOUT:.0f} s after the load")
        await asyncio.sleep(0.5)


def latency_line(name: str, seconds: Sequence[float]) -> str:
    values = [second * 1000 for second in seconds]
    return (
        f"{name:<9} answers {len(values):6,}: p50 {percentile(values, 0.5):7.1f} ms, "
        f"p99 {percentile(values, 0.99):7.1f} ms, max {max(values, default=0):7.1f} ms"
    )


def report(figures: Figures) -> None:
    tally, output = figures.tally, figures.output
    sent, handled = sum(tally.sent.values()), sum(tally.handled.values())
    print(f"bots: {', '.join(bot_names())} (one process); members: {figures.members:,}")
    print(f"events sent: {sent:,} in {figures.seconds:.1f} s ({sent / figures.seconds:.0f}/s)")
    for kind in sorted(tally.sent):
        print(f"  {kind + 's':<10} sent {tally.sent[kind]:6,}  handled {tally.handled[kind]:6,}")
    print(f"events handled: {handled:,}")
    print(latency_line("all", [s for values in tally.latencies.values() for s in values]))
    for kind in sorted(tally.latencies):
        print(latency_line(kind + "s", tally.latencies[kind]))
    print(
        f"bot posts in the channels: {figures.bot_posts:,}, the last "
        f"{figures.drain_seconds:.1f} s after the load"
    )
    start, half, end = figures.rss_mb
    growth = end - half
    flat = "flat" if growth <= RSS_GROWTH_BOUND_MB else "GREW"
    print(
        f"RSS: {start:.1f} MB once ready, {half:.1f} MB after half the events, {end:.1f} MB at "
        f"the end (second half {growth:+.1f} MB; bound +{RSS_GROWTH_BOUND_MB:.0f} MB: {flat})"
    )
    levels = ", ".join(f"{level} {count:,}" for level, count in sorted(output.levels.items()))
    print(f"fleet log: {output.lines:,} lines ({levels})")
    for text, count in output.warnings.most_common(3):
        print(f"  {count:6,} x WARNING {text}")
    print(
        f"errors: {figures.errors} (unanswered {len(tally.unanswered)}, counted by the fleet "
        f"{figures.counted_errors}, error log lines {len(output.errors)})"
    )
    for line in [*tally.unanswered[:5], *output.errors[:5]]:
        print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="events to send")
    parser.add_argument("--members", type=int, default=MEMBERS, help="members in the guild")
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, help="members acting at once"
    )
    parser.add_argument(
        "--database", help="database URL (migrated here); default: a SQLite file of its own"
    )
    arguments = parser.parse_args(argv)
    figures = asyncio.run(
        soak(arguments.events, arguments.members, arguments.concurrency, arguments.database)
    )
    report(figures)
    return 1 if figures.errors else 0


if __name__ == "__main__":
    sys.exit(main())
