"""What automod adds to each message, beside discord.py's own cost of receiving that message.

Run::

    .venv/bin/python benchmarks/automod.py

Measured in one run, per message, for an 80- and a 2,000-character message:

* **discord.py**: ``json.loads`` of a realistic MESSAGE_CREATE gateway frame, then
  ``ConnectionState.parse_message_create`` on a minimal state holding the guild, its channel
  and the author (the Message object, the member from the payload, the message cache).
* **automod**: reading the facts off that Message (what the events layer will do) and judging
  them against a guild with every rule on: rate, duplicates, mentions, caps, emoji, invites,
  links with an allow-list, three moderator regexes, and a word list of 1,000 entries plus the
  fleet's profanity lists. Innocent messages, so every rule runs to the end. "Warm": chat
  vocabulary repeats, so the word list's clean words and the readings cache serve most words;
  "cold": both are emptied before every message (every word new). The warm run is also given
  with the clean words in the Python table (``text_scan.PyCleanWords``), what runs where no
  C compiler built the compiled one, the baseline the C module is measured against.
* **memory**: the spam state of 10,000 active members (each with a full message history and a
  strike), by tracemalloc.

Each figure is the best of 240 samples of 50 messages in which the three runs take turns, so
a busy shared machine slows them alike and its quietest moments show (a few long rounds gave
figures that moved by half between runs at load 10). Run the file from another worktree's
directory with that worktree's interpreter to measure its code with this same benchmark.
Goal (issue 13): automod adds at most half of discord.py's own per-message cost. Figures are
printed, never asserted.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord.http import HTTPClient
from discord.state import ConnectionState

from botfleet.bots.mod.events.automod import message_facts
from botfleet.bots.mod.services import word_filter
from botfleet.bots.mod.services.automod import (
    AutomodEngine,
    AutomodSettings,
    CompiledRules,
    MessageFacts,
)
from botfleet.bots.mod.services.spam import SpamTracker
from botfleet.bots.mod.services.text_scan import COMPILED, PyCleanWords

GUILD_ID = 111_111_111_111_111_111
CHANNEL_ID = 333_333_333_333_333_333
AUTHOR_ID = 444_444_444_444_444_444
ROLE_IDS = ["555555555555555555", "666666666666666666"]
WORD_LIST_SIZE = 1000
MEMBERS = 10_000
SAMPLES = 240
SAMPLE_SIZE = 50
MESSAGES_PER_REPEAT = 2000
SPEAKERS = 500
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

SENTENCES = (
    "Has anyone tried the new patch notes yet? The raid boss feels a lot easier now.",
    "I think we should meet on Saturday at eight, after the tournament finishes.",
    "Check the pinned message for the rules and the schedule of the next event.",
    "Honestly the soundtrack is the best part, I have it on repeat while working.",
    "Can someone help me with the quest in the northern valley, I keep failing it.",
    "Thanks everyone for the birthday wishes, this server is the best community ever!",
)


def word_list(size: int, seed: int = 13) -> list[str]:
    """Invented words, as a moderator's list would hold: mostly whole, some with endings."""
    rng = random.Random(seed)
    entries: set[str] = set()
    while len(entries) < size:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9)))
        roll = rng.random()
        entries.add(f"*{word}*" if roll < 0.05 else f"{word}*" if roll < 0.3 else word)
    return sorted(entries)


def every_rule() -> CompiledRules:
    settings = AutomodSettings.model_validate(
        {
            "rules": [
                {"kind": "rate", "max_messages": 8, "per_seconds": 5},
                {"kind": "duplicates", "max_repeats": 4, "per_seconds": 60},
                {"kind": "mentions", "max_mentions": 5},
                {"kind": "caps", "min_letters": 15, "max_ratio": 0.7},
                {"kind": "emoji", "max_emoji": 10},
                {"kind": "invites", "allowed_codes": ["botfleet"]},
                {"kind": "links", "allowed_domains": ["github.com", "youtube.com"]},
                {"kind": "words", "words": word_list(WORD_LIST_SIZE), "fleet_list": True},
                {
                    "kind": "patterns",
                    "patterns": [
                        r"free\s+nitro",
                        r"steam\s*community\.\w+/gift",
                        r"@everyone\s+giveaway",
                    ],
                },
            ]
        }
    )
    return CompiledRules.build(1, settings)


def word_filters(rules: CompiledRules) -> list[word_filter.WordFilter]:
    """The word lists compiled into ``rules`` (their checks hold them): the cold runs empty
    the words each remembers as clean, as they empty the readings caches."""
    return [
        cell.cell_contents
        for compiled in rules.rules
        for cell in compiled.check.__closure__ or ()
        if isinstance(cell.cell_contents, word_filter.WordFilter)
    ]


def message_text(length: int, rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < length:
        words.extend(rng.choice(SENTENCES).split())
    return " ".join(words)[:length].rstrip()


def sent_at(index: int) -> datetime:
    """A busy channel: 20 messages a second."""
    return START + timedelta(seconds=index / 20)


def gateway_frame(content: str, sequence: int, author_id: int, when: datetime) -> str:
    """A MESSAGE_CREATE frame as Discord sends it to a bot with the message content intent."""
    message_id = discord.utils.time_snowflake(when) + sequence % 4096
    return json.dumps(
        {
            "op": 0,
            "s": sequence,
            "t": "MESSAGE_CREATE",
            "d": {
                "id": str(message_id),
                "channel_id": str(CHANNEL_ID),
                "guild_id": str(GUILD_ID),
                "author": {
                    "id": str(author_id),
                    "username": "chatty.member",
                    "global_name": "Chatty Member",
                    "avatar": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                    "discriminator": "0",
                    "public_flags": 0,
                    "avatar_decoration_data": None,
                },
                "member": {
                    "roles": ROLE_IDS,
                    "joined_at": "2025-03-14T15:09:26.535000+00:00",
                    "nick": None,
                    "avatar": None,
                    "premium_since": None,
                    "deaf": False,
                    "mute": False,
                    "pending": False,
                    "flags": 0,
                    "communication_disabled_until": None,
                },
                "content": content,
                "timestamp": when.isoformat(),
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": [],
                "pinned": False,
                "type": 0,
                "flags": 0,
                "components": [],
                "nonce": str(message_id + 7),
            },
        }
    )


def minimal_state(loop: asyncio.AbstractEventLoop) -> ConnectionState:
    """A ConnectionState that knows the guild and channel, as a connected bot's would."""
    state = ConnectionState(
        dispatch=lambda *args: None,
        handlers={},
        hooks={},
        http=HTTPClient(loop),
        intents=discord.Intents.all(),
        chunk_guilds_at_startup=False,
    )
    guild = {
        "id": str(GUILD_ID),
        "name": "Benchmark Guild",
        "owner_id": "1",
        "features": [],
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            *(
                {
                    "id": role,
                    "name": f"role {index}",
                    "permissions": "0",
                    "position": index + 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
                for index, role in enumerate(ROLE_IDS)
            ),
        ],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            }
        ],
        "emojis": [],
        "stickers": [],
        "member_count": 2,
        "members": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
    }
    state._add_guild_from_data(guild)
    return state


def facts_of(message: discord.Message) -> MessageFacts:
    """What the events layer hands automod, read off discord.py's Message by its own code."""
    author = message.author
    if not isinstance(author, discord.Member):
        raise TypeError("the benchmark's messages come from members")
    return message_facts(message, author)


def timed(run: Callable[[int], None], start: int) -> float:
    """Microseconds per call of ``run(start)`` to ``run(start + SAMPLE_SIZE - 1)``."""
    started = time.perf_counter_ns()
    for index in range(start, start + SAMPLE_SIZE):
        run(index)
    return (time.perf_counter_ns() - started) / SAMPLE_SIZE / 1000


def fastest(runs: dict[str, Callable[[int], None]], count: int) -> dict[str, float]:
    """The best of SAMPLES samples for each run, the runs taking turns sample by sample.

    Samples walk through the ``count`` messages in order and start again at the first, so
    each run replays the same minutes; taking turns exposes every run to the same load of a
    shared machine, and the best sample is the one least disturbed by it.
    """
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for sample in range(SAMPLES):
        start = sample * SAMPLE_SIZE % count
        for name, run in runs.items():
            samples[name].append(timed(run, start))
    return {name: min(values) for name, values in samples.items()}


def measure(length: int, rules: CompiledRules, loop: asyncio.AbstractEventLoop) -> None:
    rng = random.Random(length)
    texts = [message_text(length, rng) for _ in range(64)]
    frames = [
        gateway_frame(
            texts[index % len(texts)], index, AUTHOR_ID + index % SPEAKERS, sent_at(index)
        )
        for index in range(MESSAGES_PER_REPEAT)
    ]
    state = minimal_state(loop)

    def discord_side(index: int) -> None:
        payload: dict[str, Any] = json.loads(frames[index])
        state.parse_message_create(payload["d"])

    messages: list[discord.Message] = []
    for frame in frames:
        state.parse_message_create(json.loads(frame)["d"])
        messages.append(state._messages[-1])  # type: ignore[index]
    verdicts = 0

    def judging(rules: CompiledRules) -> Callable[[int], None]:
        """Judging the messages in order, with a memory of members' activity of its own."""
        engine = AutomodEngine()

        def judge(index: int) -> None:
            nonlocal engine, verdicts
            if index == 0:  # the samples replay the same minutes: start from a fresh memory
                engine = AutomodEngine()
            if engine.judge(facts_of(messages[index]), rules) is not None:
                verdicts += 1

        return judge

    automod_side = judging(rules)
    python_rules = every_rule()  # the same rules, their clean words in the Python table
    for words in word_filters(python_rules):
        words._clean = PyCleanWords(word_filter.CLEAN_WORDS_KEPT)
    judge_python = judging(python_rules)
    cold_rules = every_rule()  # its own word lists: emptying them leaves the warm run's alone
    judge_cold = judging(cold_rules)
    lists = word_filters(cold_rules)

    def automod_cold(index: int) -> None:
        word_filter._readings.cache_clear()
        word_filter._segment.cache_clear()
        for words in lists:
            words._clean.clear()
        judge_cold(index)

    best = fastest(
        {
            "parse": discord_side,
            "warm": automod_side,
            "python": judge_python,
            "cold": automod_cold,
        },
        MESSAGES_PER_REPEAT,
    )
    parse, warm, python, cold = best["parse"], best["warm"], best["python"], best["cold"]
    goal = "met" if warm <= parse / 2 else "NOT met"
    print(f"\n{length}-character message (actual {len(texts[0])}):")
    print(f"  discord.py  json.loads + parse_message_create  {parse:8.1f} µs")
    print(
        f"  automod     facts + judge, warm cache           {warm:8.1f} µs"
        f"  = {warm / parse:4.0%} of discord.py  (goal ≤ 50 %: {goal})"
    )
    print(
        f"  automod     the same, clean-word table in Python{python:8.1f} µs"
        f"  = {python / parse:4.0%} of discord.py  (the table alone swapped)"
    )
    print(
        f"  automod     facts + judge, cold cache           {cold:8.1f} µs"
        f"  = {cold / parse:4.0%} of discord.py"
    )
    print(f"  verdicts on these innocent messages: {verdicts} (expected 0)")


def spam_memory(rules: CompiledRules) -> None:
    tracker = SpamTracker(max_members=MEMBERS)
    engine = AutomodEngine(tracker)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for second in range(tracker.remembered):
        for member in range(MEMBERS):
            facts = MessageFacts(
                GUILD_ID, CHANNEL_ID, member + 1, frozenset(), "hello there", 0, float(second * 10)
            )
            engine.judge(facts, rules)
    for member in range(MEMBERS):  # one strike each
        engine.judge(
            MessageFacts(GUILD_ID, CHANNEL_ID, member + 1, frozenset(), "free nitro", 0, 1000.0),
            rules,
        )
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(
        f"\nspam state for {len(tracker):,} active members: {used / 1024 / 1024:.1f} MiB "
        f"({used / len(tracker):.0f} bytes per member; bounded by SpamTracker.max_members)"
    )


def main() -> None:
    started = time.perf_counter()
    rules = every_rule()
    print(
        f"compiling every rule with a {WORD_LIST_SIZE}-entry word list: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms (once per change of the rules)"
    )
    table = "compiled (C)" if COMPILED else "in Python (the C module was not built)"
    print(f"the word filter's table of clean words: {table}")
    loop = asyncio.new_event_loop()
    try:
        for length in (80, 2000):
            measure(length, rules, loop)
    finally:
        loop.close()
    spam_memory(rules)


if __name__ == "__main__":
    main()
