"""The latencies members feel: a slash command's first response, a Hangman button, login to ready.

Run::

    .venv/bin/python benchmarks/latency.py [--runs 200] [--presses 200] [--logins 5]
    .venv/bin/python benchmarks/latency.py \
        --postgres postgresql://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/0

Every bot runs in this process with the real discord.py client, logged in to a local Discord
stand-in started here (one guild, the member running the commands its owner), on one SQLite
database (with ``--postgres``, a PostgreSQL database of the run's own, dropped after) migrated
beforehand, as production runs ``botfleet db upgrade`` once and never migrates
on start (``database.auto_migrate`` off); with ``--redis``, the bots' cache, rate limits and XP
cooldowns use that Redis under a key prefix of the run's own (one per login, see
:func:`as_fresh_deployment`), whose keys are deleted after.
The bots run one after another, never two at once.
The baseline, measured in the same run and the same way, is a bare ``discord.Client`` with a
``CommandTree`` of one command that answers at once (an ephemeral message) and one button that
updates its message at once: what any discord.py bot pays.

What each figure includes:

* **round trip** (the member's side): from the member sending the interaction (the stand-in
  checks it against the registered command and sends INTERACTION_CREATE over the gateway
  websocket) until the stand-in has stored the bot's first answer (its HTTP callback request
  handled). Both ends share this process's event loop on loopback, so it holds the stand-in's
  own work and two local hops, but no real network.
* **bot side** ("excluding the network"): from discord.py's parser taking INTERACTION_CREATE
  (the frame already read and decoded) until the bot calls discord.py's interaction-callback
  request (``create_interaction_response``, before any byte is sent): discord.py building the
  Interaction, the command tree's dispatch, the bot's checks (rate limit, permissions), its
  database reads and the answer's embed. Goal (issue 17): p99 under 5 ms.
* **login to ready**: from building the client until the stand-in's ``run_client`` saw it ready
  (``on_ready``: extensions loaded, slash commands compared and synced, gateway identified, the
  guild received). discord.py waits ``guild_ready_timeout`` after the last GUILD_CREATE before
  READY is handled; here it is the tests' 0.05 s (production default 2 s), so the time until
  discord.py took the gateway's READY is printed beside it, and the CPU time the event loop's
  thread spent meanwhile (the stand-in's share included, as for the bare client; not the
  database's or other worker threads'): on a loaded machine the wall time waits for the CPU, this
  does not. The first login of each bot imports its extensions' modules; the figure is the
  median of ``--logins`` logins. Goal: under 100 ms.

One command each bot answers with a read of its own state: ``/grammar stats``, ``/hangman
stats``, ``/raid status`` (mod), ``/queue`` (music), ``/bee status`` (spelling_bee) and
``/serverinfo`` (utility). The Grammar Bot's language engines are switched off: ``/grammar
stats`` does not use them, and their loading in the background would take the CPU from the
measurement. The Hangman buttons: games started with ``/hangman start``; five wrong letters,
then the word's letters but the last are timed (letters a game goes on with), the last one,
which ends the game, is pressed untimed.

Modules are byte-compiled once before the first login, into a folder of the run's own
(``sys.pycache_prefix``), as ``pip install`` compiles them for production: this checkout is
installed editable and ``PYTHONDONTWRITEBYTECODE`` may be set, and discord.py executes a bot's
extension modules again at every login, so without it each login would compile them from source.

Figures are printed, never asserted; the load average before and after is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import cProfile
import itertools
import math
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import discord
from discord import app_commands
from discord.webhook.async_ import AsyncWebhookAdapter
from pydantic import SecretStr

import botfleet
from botfleet import bot_names, get_definition
from botfleet.bots.hangman.services.game import ALPHABET
from botfleet.bots.hangman.services.games import HangmanService
from botfleet.config.schema import CacheSection, DatabaseSection, RateLimitsSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.database import migrate
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionHandle,
    Message,
    SandboxChannel,
    SandboxMember,
)
from botfleet.sandbox.fleet import TEST_READY_TIMEOUT, fleet_test_settings

READY_TIMEOUT = 60.0
GAME_TIMEOUT = 10.0
WARMUP = 10
"""Untimed runs before each series: first queries, caches and code paths warmed."""
SETTLE = 1.0
"""Seconds between ready and the first command measured: what a bot loads in the background
once ready (the Spelling Bee's word lists) is not a command's cost."""
TIMED_WRONG_LETTERS = 5
"""Wrong letters pressed per game: a game has six lives, the sixth would end it."""
COMMANDS: dict[str, tuple[str, str | None]] = {
    "grammar": ("grammar", "stats"),
    "hangman": ("hangman", "stats"),
    "mod": ("raid", "status"),
    "music": ("queue", None),
    "spelling_bee": ("bee", "status"),
    "utility": ("serverinfo", None),
}
"""The command measured for each bot: its name and subcommand."""
BOT_OPTIONS: dict[str, dict[str, Any]] = {
    "grammar": {"harper": False, "rules": False, "spelling": False},
    "music": {"web_search": None},
}
BARE_BUTTON = "latency:press"
PROFILE_LINES = 40


@dataclass
class Stopwatch:
    """When discord.py took each interaction and when the bot called its first answer."""

    received: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)
    ready_frame: float | None = None

    def watch(self, client: discord.Client) -> None:
        """Time the client's INTERACTION_CREATE and READY parsers (the gateway reads this dict)."""
        parsers: dict[str, Callable[[Any], Any]] = client._connection.parsers
        parse_interaction = parsers["INTERACTION_CREATE"]
        parse_ready = parsers["READY"]
        self.ready_frame = None

        def interaction(data: Any) -> Any:
            self.received[int(data["id"])] = time.perf_counter()
            return parse_interaction(data)

        def ready(data: Any) -> Any:
            self.ready_frame = time.perf_counter()
            return parse_ready(data)

        parsers["INTERACTION_CREATE"] = interaction
        parsers["READY"] = ready

    def bot_side(self, interaction_id: int) -> float:
        return self.answered[interaction_id] - self.received[interaction_id]


@contextmanager
def answers_timed(stopwatch: Stopwatch) -> Iterator[None]:
    """Note when any client of this process calls discord.py's interaction-callback request."""
    original = AsyncWebhookAdapter.create_interaction_response

    def timed(self: AsyncWebhookAdapter, interaction_id: int, *args: Any, **kwargs: Any) -> Any:
        stopwatch.answered[int(interaction_id)] = time.perf_counter()
        return original(self, interaction_id, *args, **kwargs)

    AsyncWebhookAdapter.create_interaction_response = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        AsyncWebhookAdapter.create_interaction_response = original  # type: ignore[method-assign]


class BareView(discord.ui.View):
    """One button that updates its message at once."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id=BARE_BUTTON)
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"pressed by {interaction.user.name}")


class BareClient(discord.Client):
    """A bare discord.py client: one slash command and one button, both answered at once."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=TEST_READY_TIMEOUT)
        self.tree = app_commands.CommandTree(self)
        self.tree.command(name="ping", description="Answers at once.")(self.ping)
        self.tree.command(name="board", description="A message with a button.")(self.board)

    async def ping(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async def board(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press", view=BareView())

    async def setup_hook(self) -> None:
        self.add_view(BareView())
        await self.tree.sync()


@dataclass
class Series:
    """Seconds of one measured series: the member's round trip and the bot's side."""

    round_trip: list[float] = field(default_factory=list)
    bot_side: list[float] = field(default_factory=list)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99 for p99) of ``values``."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f}"


def series_line(label: str, series: Series) -> str:
    trip, side = series.round_trip, series.bot_side
    return (
        f"{label:<34} round trip p50 {ms(percentile(trip, 0.5))} p99 {ms(percentile(trip, 0.99))}"
        f" | bot side p50 {ms(percentile(side, 0.5))} p99 {ms(percentile(side, 0.99))} ms"
        f"  (n={len(trip)})"
    )


def login_line(
    label: str, totals: Sequence[float], frames: Sequence[float], cpu: Sequence[float]
) -> str:
    return (
        f"{label:<34} login to ready median {ms(statistics.median(totals))} first "
        f"{ms(totals[0])} | to READY frame median {ms(statistics.median(frames))} ms"
        f" | loop CPU median {ms(statistics.median(cpu))} ms  (n={len(totals)})"
    )


async def timed(
    stopwatch: Stopwatch, series: Series | None, act: Callable[[], Awaitable[InteractionHandle]]
) -> InteractionHandle:
    """Run one interaction and wait for its first answer; record it in ``series`` if given."""
    start = time.perf_counter()
    handle = await act()
    await handle.wait_for_response()
    finish = time.perf_counter()
    if series is not None:
        series.round_trip.append(finish - start)
        series.bot_side.append(stopwatch.bot_side(handle.id))
    return handle


async def command_series(
    stopwatch: Stopwatch,
    runs: int,
    act: Callable[[], Awaitable[InteractionHandle]],
) -> Series:
    series = Series()
    for _ in range(WARMUP):
        await timed(stopwatch, None, act)
    for _ in range(runs):
        await timed(stopwatch, series, act)
    return series


@dataclass
class Stage:
    """The stand-in, its guild's owner (who runs every command) and the channel used."""

    sandbox: DiscordSandbox
    member: SandboxMember
    channel: SandboxChannel
    stopwatch: Stopwatch
    runs: int
    presses: int
    logins: int
    profile: bool = False
    """Print a cProfile of each client's last login, the calls that took longest first."""


async def logged_in(
    stage: Stage,
    app: Application,
    make: Callable[[], discord.Client],
    label: str,
    work: Callable[[discord.Client], Awaitable[None]],
) -> None:
    """Log in ``stage.logins`` times, print login to ready, run ``work`` in the last session."""
    totals: list[float] = []
    frames: list[float] = []
    cpu: list[float] = []
    for attempt in range(stage.logins):
        profiler = cProfile.Profile() if stage.profile and attempt == stage.logins - 1 else None
        if profiler is not None:
            profiler.enable()
        start, cpu_start = time.perf_counter(), time.thread_time()
        client = make()
        stage.stopwatch.watch(client)
        async with stage.sandbox.run_client(client, app, ready_timeout=READY_TIMEOUT):
            totals.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - cpu_start)
            if profiler is not None:
                profiler.disable()
                print_profile(label, profiler)
            assert stage.stopwatch.ready_frame is not None
            frames.append(stage.stopwatch.ready_frame - start)
            if isinstance(client, FleetBot):
                assert client.failed_extensions == {}, client.failed_extensions
            if attempt == stage.logins - 1:
                print(login_line(label, totals, frames, cpu), flush=True)
                await asyncio.sleep(SETTLE)
                await work(client)


def print_profile(label: str, profiler: cProfile.Profile) -> None:
    """The calls of one login that took longest, their callees included, then by own time."""
    print(f"--- profile of {label}'s last login", flush=True)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(PROFILE_LINES)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(PROFILE_LINES)


def bot_settings(
    name: str, directory: Path, database_url: str, interactions: int, cache: CacheSection
) -> Settings:
    """The test settings of ``name`` on the migrated database, a budget for every interaction."""
    return fleet_test_settings(
        name,
        directory,
        database=DatabaseSection(url=SecretStr(database_url), auto_migrate=False),
        rate_limits=RateLimitsSection(
            commands_per_user=10 * (interactions + WARMUP), time_window=10
        ),
        cache=cache,
        options=BOT_OPTIONS.get(name, {}),
    )


@asynccontextmanager
async def cache_section(redis_url: str | None) -> AsyncIterator[CacheSection]:
    """Memory only, or the given Redis under a prefix of the run's own, emptied after."""
    if redis_url is None:
        yield CacheSection()
        return
    from redis.asyncio import Redis  # noqa: PLC0415  (only with --redis)

    prefix = f"botfleet-latency-{uuid.uuid4().hex[:8]}:"
    try:
        yield CacheSection(redis_url=SecretStr(redis_url), key_prefix=prefix)
    finally:
        client = Redis.from_url(redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


async def measure_bare(stage: Stage, app: Application) -> None:
    async def work(_client: discord.Client) -> None:
        member, channel = stage.member, stage.channel
        series = await command_series(
            stage.stopwatch, stage.runs, lambda: member.run_command(channel, app, "ping")
        )
        print(series_line("baseline: bare client, /ping", series), flush=True)
        shown = await timed(
            stage.stopwatch, None, lambda: member.run_command(channel, app, "board")
        )
        response = shown.response
        assert response is not None and response.message is not None
        board = response.message
        series = await command_series(
            stage.stopwatch, stage.presses, lambda: member.click(board, BARE_BUTTON)
        )
        print(series_line("baseline: bare client, button", series), flush=True)

    await logged_in(stage, app, BareClient, "baseline: bare client", work)


async def measure_bot(stage: Stage, app: Application, name: str, settings: Settings) -> None:
    definition = get_definition(name)
    command, subcommand = COMMANDS[name]
    member, channel = stage.member, stage.channel

    async def work(client: discord.Client) -> None:
        series = await command_series(
            stage.stopwatch,
            stage.runs,
            lambda: member.run_command(channel, app, command, subcommand=subcommand),
        )
        print(series_line(f"{name}: /{command} {subcommand or ''}".rstrip(), series), flush=True)
        if name == "hangman":
            assert isinstance(client, FleetBot)
            print(series_line("hangman: letter button", await hangman_presses(stage, app, client)))

    logins = itertools.count()

    def make() -> FleetBot:
        return FleetBot(definition, as_fresh_deployment(settings, next(logins)))

    await logged_in(stage, app, make, name, work)


def as_fresh_deployment(settings: Settings, login: int) -> Settings:
    """``settings`` with Redis keys of this login's own: with Redis, the bots' identify gate
    keeps Discord's one identify per five seconds, which logins one after another would wait
    for; each login here is a bot's first start, as in a new deployment."""
    if settings.cache.redis_url is None:
        return settings
    prefix = f"{settings.cache.key_prefix}{login}:"
    return settings.model_copy(
        update={"cache": settings.cache.model_copy(update={"key_prefix": prefix})}
    )


@dataclass(frozen=True)
class Table:
    """A Hangman game on screen: its two messages, its id and its word."""

    board: Message
    controls: Message
    game_id: int
    secret: str

    def press(self, member: SandboxMember, letter: str) -> Awaitable[InteractionHandle]:
        message = self.controls if letter == "z" else self.board
        return member.click(message, f"hangman:{self.game_id}:letter:{letter}")


async def hangman_presses(stage: Stage, app: Application, bot: FleetBot) -> Series:
    """Play games until ``presses`` letters (after the warm-up) were timed."""
    series = Series()
    untimed = WARMUP
    while len(series.round_trip) < stage.presses:
        table = await start_game(stage, app, bot)
        wrong = [letter for letter in reversed(ALPHABET[:25]) if letter not in table.secret]
        right = sorted({letter for letter in table.secret if letter in ALPHABET})
        for letter in [*wrong[:TIMED_WRONG_LETTERS], *right[:-1]]:
            record = untimed == 0 and len(series.round_trip) < stage.presses
            untimed = max(untimed - 1, 0)
            chosen = series if record else None
            await timed(stage.stopwatch, chosen, partial(table.press, stage.member, letter))
        await timed(stage.stopwatch, None, partial(table.press, stage.member, right[-1]))
        await game_over(bot, stage.channel)
    return series


def hangman_service(bot: FleetBot) -> HangmanService:
    service = getattr(bot.get_cog("Hangman"), "service", None)
    assert isinstance(service, HangmanService)
    return service


async def start_game(stage: Stage, app: Application, bot: FleetBot) -> Table:
    """Start a game in the channel; wait until the bot stored its two messages."""
    handle = await stage.member.run_command(stage.channel, app, "hangman", subcommand="start")
    response = await handle.wait_for_response()
    assert response.message is not None, response.content
    controls = await handle.wait_for_followup()
    service = hangman_service(bot)
    async with asyncio.timeout(GAME_TIMEOUT):
        while True:
            game = await service.game_in_channel(stage.channel.id)
            if game is not None and game.controls_message_id == controls.id:
                return Table(response.message, controls, int(game.id), str(game.board.secret))
            await asyncio.sleep(0.01)


async def game_over(bot: FleetBot, channel: SandboxChannel) -> None:
    service = hangman_service(bot)
    async with asyncio.timeout(GAME_TIMEOUT):
        while True:
            if await service.game_in_channel(channel.id) is None:
                return
            await asyncio.sleep(0.01)


def byte_compiled(directory: Path) -> None:
    """Compile botfleet's modules into ``directory`` and read them from there, as an install
    does (its own ``__pycache__`` folders are left alone)."""
    sys.pycache_prefix = str(directory)
    compileall.compile_dir(Path(botfleet.__file__).parent, quiet=1)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


@asynccontextmanager
async def migrated_database(directory: Path, postgres: str | None) -> AsyncIterator[str]:
    """The URL of a database migrated beforehand: SQLite in ``directory``, or, given the admin
    URL ``postgres``, a PostgreSQL database of the run's own, created next to it, dropped after."""
    if postgres is None:
        url = f"sqlite+aiosqlite:///{directory}/botfleet.db"
        await migrate.upgrade(url)
        yield url
        return
    name = f"botfleet_latency_{uuid.uuid4().hex[:8]}"
    server = postgres.partition("://")[2].rpartition("/")[0]
    admin = await asyncpg.connect(postgres)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"postgresql+asyncpg://{server}/{name}"
            await migrate.upgrade(url)
            yield url
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def run(
    runs: int,
    presses: int,
    logins: int,
    names: Sequence[str],
    *,
    postgres: str | None,
    redis_url: str | None,
    profile: bool = False,
) -> None:
    print(f"load average before: {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="botfleet-latency-") as folder:
        directory = Path(folder)
        byte_compiled(directory / "pycache")
        async with (
            migrated_database(directory, postgres) as database_url,
            cache_section(redis_url) as cache,
            DiscordSandbox() as sandbox,
        ):
            apps = {
                name: sandbox.add_application(get_definition(name).display_name) for name in names
            }
            bare = sandbox.add_application("Bare Client")
            guild = sandbox.create_guild("Latency", bots=[bare, *apps.values()])
            stopwatch = Stopwatch()
            stage = Stage(
                sandbox,
                guild.owner,
                guild.channel("general"),
                stopwatch,
                runs,
                presses,
                logins,
                profile,
            )
            with answers_timed(stopwatch):
                await measure_bare(stage, bare)
                for name in names:
                    interactions = max(runs, presses)
                    settings = bot_settings(name, directory, database_url, interactions, cache)
                    await measure_bot(stage, apps[name], name, settings)
            sandbox.assert_no_unhandled_requests()
    print(f"load average after: {load_average()}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200, help="timed commands per bot")
    parser.add_argument("--presses", type=int, default=200, help="timed Hangman button presses")
    parser.add_argument("--logins", type=int, default=5, help="logins per bot (median printed)")
    parser.add_argument("--bots", nargs="*", default=bot_names(), choices=bot_names())
    parser.add_argument(
        "--postgres",
        help="an admin URL of PostgreSQL (postgresql://...); the bots run on a database of the "
        "run's own created there, instead of SQLite",
    )
    parser.add_argument(
        "--redis", help="a Redis URL (redis://...) for the bots' cache, rate limits and cooldowns"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of each client's last login"
    )
    arguments = parser.parse_args(argv)
    asyncio.run(
        run(
            arguments.runs,
            arguments.presses,
            arguments.logins,
            arguments.bots,
            postgres=arguments.postgres,
            redis_url=arguments.redis,
            profile=arguments.profile,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
