"""What the shared reply path for slow answers costs a fast answer: calls and latency.

Run::

    .venv/bin/python benchmarks/timely_answers.py [--runs 300]

One bare discord.py bot, logged in to a local Discord stand-in started here, has three slash
commands that answer at once with the same private text: ``/direct`` with
``interaction.response.send_message`` (the baseline: what fast commands did before),
``/deferring`` acknowledging first and answering in a followup (what the commands that might
be slow did before: the Mod actions, the role menu changes, /poll results) and ``/timely``
through ``core/answers.py`` (``TimelyAnswer``, default grace 1.5 s). The member runs them in
turn, ``--runs`` times each.

Printed for each: the HTTP requests the bot made per answer (every request of the bot's
session, counted by an aiohttp trace: interaction callbacks, edits and followups included),
and the round trip p50 / p99 in ms, from the member sending the interaction until the
stand-in stored the answer's text (the first answer, or the followup after a deferral).
Figures are printed, never asserted; the load average before and after is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter
from types import SimpleNamespace

import aiohttp
import discord
from discord.ext import commands

from botfleet.core.answers import TimelyAnswer
from botfleet.sandbox import DiscordSandbox

ANSWER = "Done."
COMMANDS = ("direct", "deferring", "timely")


def build_bot(requests: Counter[str]) -> commands.Bot:
    """The bot with ``/direct`` and ``/timely``; each request it makes is counted by route."""
    bot = commands.Bot(
        command_prefix="!",
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        help_command=None,
    )

    async def count(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        resource = params.url.path.removeprefix("/api/v10/").split("/")[0]
        requests[f"{params.method} {resource}"] += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count)
    bot.http.http_trace = trace

    @bot.tree.command(description="Answer at once")
    async def direct(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ANSWER, ephemeral=True)

    @bot.tree.command(description="Acknowledge, then answer in a followup")
    async def deferring(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(ANSWER, ephemeral=True)

    @bot.tree.command(description="Answer at once, through the shared reply path")
    async def timely(interaction: discord.Interaction) -> None:
        async with TimelyAnswer(interaction, "answer", ephemeral=True) as answer:
            await answer.send(ANSWER)

    return bot


async def measure(runs: int) -> None:
    sandbox = await DiscordSandbox.start()
    requests: Counter[str] = Counter()
    try:
        app = sandbox.add_application("Bench Bot")
        guild = sandbox.create_guild("Bench", bots=[app])
        member, channel = guild.owner, guild.channel("general")
        bot = build_bot(requests)
        async with sandbox.run_client(bot, app):
            await bot.tree.sync()
            timings: dict[str, list[float]] = {name: [] for name in COMMANDS}
            counts: dict[str, Counter[str]] = {name: Counter() for name in COMMANDS}
            for _ in range(runs):
                for name, taken in timings.items():
                    before = requests.copy()
                    start = time.perf_counter()
                    handle = await member.run_command(channel, app, name)
                    answer = await handle.wait_for_message()
                    taken.append((time.perf_counter() - start) * 1000)
                    assert answer.content == ANSWER
                    await asyncio.sleep(0)
                    counts[name].update(requests - before)
            for name, taken in timings.items():
                quantiles = statistics.quantiles(taken, n=100)
                calls = ", ".join(
                    f"{route} {count / runs:g}" for route, count in sorted(counts[name].items())
                )
                print(
                    f"/{name:<9} requests per answer: {calls}; round trip p50 "
                    f"{statistics.median(taken):.2f} ms, p99 {quantiles[98]:.2f} ms ({runs} runs)"
                )
    finally:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    arguments = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    asyncio.run(measure(arguments.runs))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
