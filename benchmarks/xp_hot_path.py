"""What XP costs per event a member produces, beside discord.py's own cost of one message.

Run::

    .venv/bin/python benchmarks/xp_hot_path.py \\
        --postgres postgresql://postgres@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/0

Measured in one run, per event, in µs and as a share of **discord.py's parse**: ``json.loads``
of a MESSAGE_CREATE frame plus ``ConnectionState.parse_message_create`` (the frames and state of
``benchmarks/automod.py``). The XP side of a chat message is the XP cog's ``on_message``
message hook on the Message discord.py built (what the bot's own ``on_message`` calls for XP, in
the task discord.py creates for it anyway), so reading the author's roles and the message's
time counts too. Cases:

* **message in cooldown**: the member earned XP less than a cooldown ago (the common case);
* **message that awards**: every message from a member out of cooldown, one after the other
  (with Redis, the listener returns once a claim that must ask Redis is queued; the time until
  every verdict is in and its award buffered is counted);
* **lone message that awards, CPU**: the same, but each message waits for its verdict before
  the next is sent, so every Redis call is a batch of one; this process's CPU time per message
  (waiting for Redis is not counted: the listener does not wait for it);
* **same messages heard by a second bot**: another bot's listener on the messages the first
  awarded (every bot in a guild hears every message; with Redis only one awards them);
* **lone first message in a guild, CPU**: ``award_message_deferred`` in a guild this process
  has not heard for a while, each in its own guild and waiting for its verdict: with Redis,
  one round trip each (asking who awards the channel's chat XP; a process asks again about a
  channel that chats every few seconds);
* **a listener's task**: what discord.py adds per message for one more ``on_message``
  listener doing nothing (its task, created and run; tasks run in bursts of 50, as a busy
  process runs them): what XP cost on top of the rows above while it was a listener;
* **command**: ``award_command`` as the completion listeners call it;
* **game result**: a won game reported with ``report_game(..., save_now=False)``;
* **realistic chat**: a busy channel (20 messages a second from 200 members of Pareto zeal,
  8 % commands, 2 % game results), most messages inside their author's cooldown;
* **worst case**: the same mix where every message awards.

SQLite with the memory cache always; PostgreSQL with Redis when both URLs are given (a
temporary database is created next to the one named and dropped, Redis keys live under this
run's own prefix and are deleted). Nothing is saved: the write-behind flusher is not started,
so this is the hot path alone (``benchmarks/xp_pipeline.py`` measures the saves). Each figure
is the best of several rounds in which the cases take turns, in wall time and in this thread's
CPU time (on a loaded machine the other processes stretch wall times, barely CPU times; the
goals are judged on CPU). Each XP system measured has handled one message of the guild first,
as a running bot has. Goals (issue 17): at most 10 % of discord.py's cost in the common case,
50 % when a message awards. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord
from automod import AUTHOR_ID, CHANNEL_ID, GUILD_ID, START, gateway_frame, minimal_state
from xp_pipeline import scratch_backends

from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.gamification import GameEnding, GameResult, Gamification
from botfleet.gamification.discord.extension import XPEvents

EVENTS_PER_ROUND = 2000
LONE_MESSAGES = 300
"""Lone messages per round: each waits for its cooldown's verdict before the next is sent."""
REPEATS = 7
CHAT_MEMBERS = 200
MESSAGES_PER_SECOND = 20
BURST = 50
WARM_UP_MEMBER = AUTHOR_ID - 1
"""Who wrote the message each XP system handles before it is measured."""
TEXT = "Has anyone tried the new patch notes yet? The raid boss feels a lot easier now."


@dataclass(frozen=True, slots=True)
class ChatEvent:
    kind: str
    """"message", "command" or "game"."""
    user_id: int
    message: discord.Message


def parsed_messages(
    state: Any, authors: list[int], start: datetime
) -> tuple[list[str], list[discord.Message]]:
    """Frames of a busy channel and the Messages discord.py builds from them."""
    frames = [
        gateway_frame(
            TEXT,
            index,
            author,
            start + timedelta(seconds=index / MESSAGES_PER_SECOND),
        )
        for index, author in enumerate(authors)
    ]
    messages = []
    for frame in frames:
        state.parse_message_create(json.loads(frame)["d"])
        messages.append(state._messages[-1])
    return frames, messages


def realistic_chat(state: Any, every_message_awards: bool) -> list[ChatEvent]:
    """Messages (90 %), commands (8 %) and game results (2 %) of members of Pareto zeal."""
    rng = random.Random(17)
    zeal = [rng.paretovariate(1.3) for _ in range(CHAT_MEMBERS)]
    if every_message_awards:
        authors = [AUTHOR_ID + CHAT_MEMBERS + index for index in range(EVENTS_PER_ROUND)]
    else:
        members = rng.choices(range(CHAT_MEMBERS), weights=zeal, k=EVENTS_PER_ROUND)
        authors = [AUTHOR_ID + member for member in members]
    _, messages = parsed_messages(state, authors, START + timedelta(days=1))
    events = []
    for author, message in zip(authors, messages, strict=True):
        roll = rng.random()
        kind = "message" if roll < 0.90 else "command" if roll < 0.98 else "game"
        events.append(ChatEvent(kind, author, message))
    return events


async def timed(
    run: Callable[[int], Awaitable[object]], count: int, settle: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """Microseconds per call of ``await run(0)`` to ``await run(count - 1)``, until every
    cooldown claim they queued is decided and its award buffered (``settle``): wall time, and
    this thread's CPU time (which the other processes of a loaded machine barely move)."""
    started = time.perf_counter_ns()
    started_cpu = time.thread_time_ns()
    for index in range(count):
        await run(index)
    await settle()
    cpu = (time.thread_time_ns() - started_cpu) / count / 1000
    return (time.perf_counter_ns() - started) / count / 1000, cpu


async def cpu_timed(
    run: Callable[[int], Awaitable[object]], count: int, settle: Callable[[], Awaitable[None]]
) -> float:
    """CPU microseconds of this thread per lone ``run(index)``: each settles (its Redis round
    trip, if any) before the next, so none shares a batch; time spent waiting is not counted."""
    started = time.thread_time_ns()
    for index in range(count):
        await run(index)
        await settle()
    return (time.thread_time_ns() - started) / count / 1000


async def heard(cog: XPEvents, message: discord.Message) -> None:
    """XP's part of the bot's ``on_message``: the message hook, and the work it leaves if any
    (reading a guild's rules that are not cached)."""
    pending = cog.hear_message(message)
    if pending is not None:
        await pending


class Bench:
    """One backend's cases, each round on a fresh XP system (fresh cooldowns and buffer)."""

    def __init__(self, database: Database, cache: CacheHierarchy, prefix: str) -> None:
        self.database = database
        self.cache = cache
        self.prefix = prefix
        self.rounds = 0
        self.awarded: dict[str, int] = {}
        self.current: Gamification | None = None

    def fresh(
        self, bot_name: str = "hangman", *, new_keys: bool = True
    ) -> tuple[Gamification, XPEvents]:
        """An XP system with its own Redis keys (or the previous one's), and the XP cog
        listening for it."""
        self.rounds += new_keys
        gamification = Gamification(
            self.database,
            self.cache,
            bot_name=bot_name,
            key_prefix=f"{self.prefix}{self.rounds}:",
        )
        self.current = gamification
        return gamification, XPEvents(SimpleNamespace(gamification=gamification))  # type: ignore[arg-type]

    async def ready(
        self, bot_name: str = "hangman", *, new_keys: bool = True
    ) -> tuple[Gamification, XPEvents]:
        """A fresh XP system as in a running bot: the guild's rules in memory, and one message
        of the guild handled (with Redis, who awards its chat XP is known then)."""
        gamification, cog = self.fresh(bot_name, new_keys=new_keys)
        xp = gamification.xp
        await xp.settings.get(GUILD_ID)
        await xp.award_message(WARM_UP_MEMBER, GUILD_ID, CHANNEL_ID, sent_at=START)
        await xp.cooldowns.settled()
        return gamification, cog

    async def settle(self) -> None:
        """Wait for the claims of the latest case's XP system to be decided."""
        if self.current is not None:
            await self.current.xp.cooldowns.settled()

    async def in_cooldown(
        self, messages: list[discord.Message]
    ) -> Callable[[int], Awaitable[None]]:
        _, cog = self.fresh()
        for message in messages:  # each member earns once; the timed pass replays them
            await heard(cog, message)
        await self.settle()
        return lambda index: heard(cog, messages[index])

    async def awarding(self, messages: list[discord.Message]) -> Callable[[int], Awaitable[None]]:
        _, cog = await self.ready()
        return lambda index: heard(cog, messages[index])

    async def heard_by_a_second_bot(
        self, messages: list[discord.Message]
    ) -> Callable[[int], Awaitable[None]]:
        """Another bot's listener on messages the first bot already awarded (every bot of a
        guild hears every message)."""
        _, first = await self.ready()
        for message in messages:
            await heard(first, message)
        await self.settle()
        _, cog = await self.ready("utility", new_keys=False)
        return lambda index: heard(cog, messages[index])

    async def first_in_a_guild(
        self, messages: list[discord.Message]
    ) -> Callable[[int], Awaitable[None]]:
        """A message in a guild where this process has not heard one for a while: with Redis,
        it asks who awards the guild's chat XP (a batch of one)."""
        gamification, _ = self.fresh()
        xp = gamification.xp
        guilds = [GUILD_ID + 1 + index for index in range(LONE_MESSAGES)]
        for guild in guilds:
            await xp.settings.get(guild)

        async def run(index: int) -> None:
            author = messages[index].author
            await xp.award_message_deferred(
                author.id, guilds[index], CHANNEL_ID, sent_at=START.timestamp()
            )

        return run

    async def listener_task(
        self, messages: list[discord.Message]
    ) -> Callable[[int], Awaitable[None]]:
        """discord.py's task for one ``on_message`` listener that does nothing."""
        client = discord.Client(intents=discord.Intents.none())
        client.loop = asyncio.get_running_loop()

        async def listener(_: discord.Message) -> None:
            return None

        async def run(index: int) -> None:
            client._schedule_event(listener, "on_message", messages[index])
            if index % BURST == BURST - 1:
                await asyncio.sleep(0)  # the burst's tasks run
                await asyncio.sleep(0)

        return run

    async def command(self, messages: list[discord.Message]) -> Callable[[int], Awaitable[None]]:
        gamification, _ = await self.ready()
        xp = gamification.xp

        async def run(index: int) -> None:
            author = messages[index].author
            await xp.award_command(
                author.id,
                "rank",
                guild_id=GUILD_ID,
                channel_id=CHANNEL_ID,
                role_ids=author._roles,  # type: ignore[union-attr]
                username=author.name,
            )

        return run

    async def game(self, messages: list[discord.Message]) -> Callable[[int], Awaitable[None]]:
        gamification, _ = await self.ready()
        xp = gamification.xp

        async def run(index: int) -> None:
            player = GameResult(messages[index].author.id, GameEnding.WIN, streak=1)
            await xp.report_game([player], guild_id=GUILD_ID, channel_id=CHANNEL_ID, save_now=False)

        return run

    async def mix(self, events: list[ChatEvent]) -> Callable[[int], Awaitable[None]]:
        gamification, cog = await self.ready()
        xp = gamification.xp

        async def run(index: int) -> None:
            event = events[index]
            if event.kind == "message":
                await heard(cog, event.message)
            elif event.kind == "command":
                await xp.award_command(
                    event.user_id, "rank", guild_id=GUILD_ID, channel_id=CHANNEL_ID
                )
            else:
                await xp.report_game(
                    [GameResult(event.user_id, GameEnding.WIN)],
                    guild_id=GUILD_ID,
                    channel_id=CHANNEL_ID,
                    save_now=False,
                )
            if index == len(events) - 1:
                await xp.cooldowns.settled()
                self.awarded[f"mix {id(events)}"] = xp.pending_awards - 1  # the warm-up

        return run


async def measure(label: str, bench: Bench) -> None:
    loop = asyncio.get_running_loop()
    state = minimal_state(loop)
    speakers = [AUTHOR_ID + index % 500 for index in range(EVENTS_PER_ROUND)]
    frames, chatty = parsed_messages(state, speakers, START)
    distinct = [AUTHOR_ID + 10_000 + index for index in range(EVENTS_PER_ROUND)]
    _, first_messages = parsed_messages(state, distinct, START)
    realistic = realistic_chat(state, every_message_awards=False)
    worst = realistic_chat(state, every_message_awards=True)

    async def parse(index: int) -> None:
        payload: dict[str, Any] = json.loads(frames[index])
        state.parse_message_create(payload["d"])

    cases: dict[str, Callable[[], Awaitable[Callable[[int], Awaitable[object]]]]] = {
        "message in cooldown (hook)": lambda: bench.in_cooldown(chatty),
        "message that awards (hook)": lambda: bench.awarding(first_messages),
        "lone message that awards, CPU (hook)": lambda: bench.awarding(first_messages),
        "same messages heard by a second bot (hook)": lambda: bench.heard_by_a_second_bot(
            first_messages
        ),
        "lone first message in a guild, CPU": lambda: bench.first_in_a_guild(first_messages),
        "a listener's task (discord.py; none for XP now)": lambda: bench.listener_task(chatty),
        "command": lambda: bench.command(first_messages),
        "game result (save_now=False)": lambda: bench.game(first_messages),
        "realistic chat mix, per event": lambda: bench.mix(realistic),
        "worst case: every message awards, per event": lambda: bench.mix(worst),
    }
    samples: dict[str, list[float]] = {name: [] for name in ("parse", *cases)}

    async def parse_case() -> Callable[[int], Awaitable[object]]:
        return parse

    cpu_samples: dict[str, list[float]] = {name: [] for name in ("parse", *cases)}
    for _ in range(REPEATS):
        for name, prepare in (("parse", parse_case), *cases.items()):
            run = await prepare()
            if "CPU" in name:
                samples[name].append(await cpu_timed(run, LONE_MESSAGES, bench.settle))
                continue
            wall, cpu = await timed(run, EVENTS_PER_ROUND, bench.settle)
            samples[name].append(wall)
            cpu_samples[name].append(cpu)
    best = {name: min(values) for name, values in samples.items()}
    best_cpu = {name: min(values) for name, values in cpu_samples.items() if values}
    baseline = best["parse"]
    cpu_baseline = best_cpu["parse"]
    print(f"\n{label}  (best of {REPEATS}; wall time, then this thread's CPU time)")
    print(
        f"  {'discord.py: json.loads + parse_message_create':<50} {baseline:7.2f} µs"
        f"           CPU {cpu_baseline:7.2f} µs"
    )
    for name in cases:
        if name not in best_cpu:  # CPU time alone: the wall time waited for Redis
            cpu = best[name]
            print(f"  {'XP: ' + name:<50} {'':21}  CPU {cpu:7.2f} µs  = {cpu / cpu_baseline:6.1%}")
            continue
        line = f"  {'XP: ' + name:<50} {best[name]:7.2f} µs  = {best[name] / baseline:6.1%}"
        cpu = best_cpu[name]
        print(f"{line}  CPU {cpu:7.2f} µs  = {cpu / cpu_baseline:6.1%}")
    not_messages = sum(1 for event in realistic if event.kind != "message")
    messages = len(realistic) - not_messages
    awarded = bench.awarded[f"mix {id(realistic)}"] - not_messages
    print(
        f"  realistic chat: {awarded:,} of {messages:,} messages awarded "
        f"({1 - awarded / messages:.0%} inside their author's cooldown)"
    )
    cooldown_goal = best_cpu["message in cooldown (hook)"] <= cpu_baseline * 0.10
    award_goal = best_cpu["message that awards (hook)"] <= cpu_baseline * 0.50
    print(
        f"  goals (CPU): in cooldown ≤ 10 % {'met' if cooldown_goal else 'NOT met'}; "
        f"awarding ≤ 50 % {'met' if award_goal else 'NOT met'}"
    )


async def sqlite_run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/hot.db"
        await upgrade(url)
        database = Database(url)
        try:
            await measure(
                "SQLite + memory cache", Bench(database, CacheHierarchy(MemoryCache(10_000)), "")
            )
        finally:
            await database.dispose()


async def postgres_run(admin_url: str, redis_url: str) -> None:
    async with scratch_backends(admin_url, redis_url, "hot") as scratch:
        database = Database(scratch.urls[0])
        try:
            await measure("PostgreSQL + Redis", Bench(database, scratch.cache, scratch.prefix))
        finally:
            await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", help="an admin URL of PostgreSQL")
    parser.add_argument("--redis", help="Redis URL (needed with --postgres)")
    args = parser.parse_args()
    await sqlite_run()
    if args.postgres and args.redis:
        await postgres_run(args.postgres, args.redis)


if __name__ == "__main__":
    asyncio.run(main())
