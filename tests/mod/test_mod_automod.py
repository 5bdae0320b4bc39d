"""Automod: a table of messages that must and must not match, chains, exemptions, versions."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import discord
import pytest
from automod_corpus import corpus, stored_verdicts, verdicts
from mod_helpers import ALICE, BOB, CHANNEL, GUILD
from pydantic import ValidationError

from botfleet.bots.mod.events.automod import message_facts
from botfleet.bots.mod.services import patterns as patterns_module
from botfleet.bots.mod.services.automod import (
    AutomodAction,
    AutomodEngine,
    AutomodSettings,
    AutomodStore,
    CompiledRules,
    MessageFacts,
    Step,
)
from botfleet.bots.mod.services.patterns import InvalidPatternError, PatternSet, compile_pattern
from botfleet.bots.mod.services.spam import SpamTracker
from botfleet.bots.mod.services.word_filter import (
    CLEAN_WORDS_KEPT,
    InvalidWordEntryError,
    WordFilter,
)
from botfleet.database import Database
from botfleet.errors import UserError

OTHER_CHANNEL = 666_666_666_666_666_666
TRUSTED_ROLE = 777_777_777_777_777_777

EVERY_RULE = {
    "rules": [
        {"kind": "mentions", "max_mentions": 4},
        {"kind": "caps", "min_letters": 12, "max_ratio": 0.7},
        {"kind": "emoji", "max_emoji": 5},
        {"kind": "invites", "allowed_codes": ["botfleet"]},
        {"kind": "links", "allowed_domains": ["github.com", "www.python.org"]},
        {"kind": "words", "words": ["heck*", "darn", "*frick*"], "fleet_list": True},
        {"kind": "patterns", "patterns": [r"free\s+nitro", r"\bsteam\s*gift\b"]},
    ]
}


def _message(
    content: str, *, at: float = 0.0, mentions: int = 0, **overrides: object
) -> MessageFacts:
    fields: dict[str, object] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "author_id": ALICE,
        "role_ids": frozenset(),
        "content": content,
        "mentions": mentions,
        "sent_at": at,
    }
    fields.update(overrides)
    return MessageFacts(**fields)  # type: ignore[arg-type]


def _rules(raw: dict[str, object], version: int = 1) -> CompiledRules:
    return CompiledRules.build(version, AutomodSettings.model_validate(raw))


MUST_MATCH = [
    ("hey @a @b @c @d @e", 5, "mentions", "mentioned 5"),
    ("WHY IS NOBODY ANSWERING ME", 0, "caps", "in capitals"),
    ("😀😀😀😀😀😀 party", 0, "emoji", "sent 6 emoji"),
    ("<:pog:123456789012345678> " * 6, 0, "emoji", "sent 6 emoji"),
    ("join discord.gg/raiders now", 0, "invites", "raiders"),
    ("https://discord.com/invite/abc-123", 0, "invites", "abc-123"),
    ("look at http://evil.example/x", 0, "links", "evil.example"),
    ("www.github.com.evil.io", 0, "links", "github.com.evil.io"),
    ("what the heck", 0, "words", "heck*"),
    ("that's hecking great", 0, "words", "heck*"),
    ("d4rn it", 0, "words", "darn"),
    ("DAAARN", 0, "words", "darn"),
    ("unfrickinbelievable", 0, "words", "*frick*"),
    ("fuuuuck", 0, "words", "*fuck*"),
    ("you a$$", 0, "words", "ass"),
    ("sh1t", 0, "words", "shit*"),
    ("well...shit", 0, "words", "shit*"),
    ("ｆｕｃｋ off", 0, "words", "*fuck*"),
    ("what the fück", 0, "words", "*fuck*"),
    ("ѕhit, привет", 0, "words", "shit*"),
    ("get FREE   nitro here", 0, "patterns", r"free\s+nitro"),
]

MUST_NOT_MATCH = [
    "Scunthorpe United won",
    "let me assess the damage",
    "a classic of the genre",
    "as I said, the class passed",
    "cocktail hour in Penistone",
    "darning socks is dull",
    "check https://github.com/botfleet and https://docs.python.org/3/",
    "discord.gg/botfleet is our own server",
    "I LOVE it",
    "😀 nice",
    "ping @a @b",
    "steamgifts are not gifts",
    "привет, café, naïve — Ünïcödé is fine",
    "",
]


@pytest.mark.parametrize(("content", "mentions", "kind", "why"), MUST_MATCH)
def test_messages_that_must_match(content: str, mentions: int, kind: str, why: str) -> None:
    verdict = AutomodEngine().judge(_message(content, mentions=mentions), _rules(EVERY_RULE))

    assert verdict is not None
    assert (verdict.kind, verdict.strike) == (kind, 1)
    assert why in verdict.reason


@pytest.mark.parametrize("content", MUST_NOT_MATCH)
def test_messages_that_must_not_match(content: str) -> None:
    assert AutomodEngine().judge(_message(content), _rules(EVERY_RULE)) is None


def test_message_rate_and_duplicates_are_per_member() -> None:
    engine = AutomodEngine()
    rules = _rules(
        {
            "rules": [
                {"kind": "rate", "max_messages": 3, "per_seconds": 5},
                {"kind": "duplicates", "max_repeats": 2, "per_seconds": 60},
            ]
        }
    )

    verdicts = [engine.judge(_message(f"message {n}", at=n * 1.0), rules) for n in range(4)]
    assert [verdict is not None for verdict in verdicts] == [False, False, False, True]
    assert verdicts[3] is not None and verdicts[3].kind == "rate"
    assert engine.judge(_message("hello", author_id=BOB, at=3.5), rules) is None

    copies = ["Buy NOW", " buy now", "BUY NOW  "]
    later = [
        engine.judge(_message(copy, at=100.0 + n * 10), rules) for n, copy in enumerate(copies)
    ]
    assert [verdict.kind if verdict else None for verdict in later] == [None, None, "duplicates"]
    assert engine.judge(_message("buy now", at=400.0), rules) is None  # the window passed


def test_the_action_chain_escalates_then_decays() -> None:
    chain = [
        {"action": "delete"},
        {"action": "timeout", "duration_seconds": 600},
        {"action": "kick"},
    ]
    engine = AutomodEngine()
    rules = _rules(
        {"rules": [{"kind": "words", "words": ["darn"], "actions": chain, "decay_seconds": 600}]}
    )

    steps = [engine.judge(_message("darn", at=n * 60.0), rules) for n in range(4)]
    assert [verdict.step.action if verdict else None for verdict in steps] == [
        AutomodAction.DELETE,
        AutomodAction.TIMEOUT,
        AutomodAction.KICK,
        AutomodAction.KICK,
    ]
    assert steps[1] is not None and steps[1].step.duration_seconds == 600
    decayed = engine.judge(_message("darn", at=180.0 + 601), rules)
    assert decayed is not None
    assert (decayed.strike, decayed.step.action) == (1, AutomodAction.DELETE)


def test_exempt_roles_and_channels_and_channel_scopes() -> None:
    rules = _rules(
        {
            "exempt_roles": [TRUSTED_ROLE],
            "rules": [
                {"kind": "words", "words": ["darn"], "exempt_channels": [OTHER_CHANNEL]},
                {"kind": "links", "channels": [CHANNEL]},
            ],
        }
    )
    engine = AutomodEngine()

    assert engine.judge(_message("darn", role_ids=frozenset({TRUSTED_ROLE})), rules) is None
    assert engine.judge(_message("darn", channel_id=OTHER_CHANNEL), rules) is None
    assert engine.judge(_message("https://x.io", channel_id=OTHER_CHANNEL), rules) is None
    verdict = engine.judge(_message("https://x.io"), rules)
    assert verdict is not None and verdict.kind == "links"


def test_rules_are_compiled_once_per_version() -> None:
    engine = AutomodEngine()
    first = AutomodSettings.model_validate({"rules": [{"kind": "words", "words": ["darn"]}]})
    second = AutomodSettings.model_validate({"rules": [{"kind": "words", "words": ["heck"]}]})

    compiled = engine.rules_for(GUILD, 1, first)
    assert engine.rules_for(GUILD, 1, second) is compiled  # same version: not rebuilt
    rebuilt = engine.rules_for(GUILD, 2, second)

    assert rebuilt is not compiled
    assert engine.judge(_message("heck"), rebuilt) is not None
    assert engine.judge(_message("darn", at=5.0), rebuilt) is None


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"action": "timeout"}, "needs a duration"),
        ({"action": "kick", "duration_seconds": 600}, "takes no duration"),
        ({"action": "timeout", "duration_seconds": 29 * 86400}, "28 days at most"),
        ({"action": "timeout", "duration_seconds": 5}, "greater than or equal to 60"),
    ],
)
def test_action_steps_are_checked(step: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Step.model_validate(step)


def test_words_remembered_clean_never_hide_a_listed_word() -> None:
    words = WordFilter(["heck*", "*frick*", "darn"])
    assert words.find("well darn it") == "darn"
    assert words.find("what the weather is like") is None  # remembered as clean
    assert words.find("what the HECKING weather") == "heck*"  # beside remembered words
    assert words.find("the weather, darn") == "darn"
    assert words.find("what a fr1ckin day") == "*frick*"
    many = " ".join(f"plain{number:05d}" for number in range(3 * CLEAN_WORDS_KEPT))
    assert words.find(many) is None
    assert 0 < len(words._clean) <= CLEAN_WORDS_KEPT  # bounded: forgotten when full
    assert words.find(many + " d4rn") == "darn"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("*darn", "a star goes after"),
        ("d", "2 to 40 letters"),
        ("da rn", "2 to 40"),
        ("d4rn", "a-z"),
    ],
)
def test_bad_word_entries_are_explained(entry: str, problem: str) -> None:
    with pytest.raises(InvalidWordEntryError, match=problem):
        WordFilter([entry])


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("[unclosed", "not a valid regular expression"),
        ("(a+)+$", "backtracks catastrophically"),
        (r"(\w+\s?)+$", "backtracks catastrophically"),
        ("a*", "matches an empty message"),
        ("x" * 301, "300 characters at most"),
    ],
)
def test_bad_or_catastrophic_patterns_are_refused(pattern: str, problem: str) -> None:
    with pytest.raises(InvalidPatternError, match=problem) as error:
        compile_pattern(pattern)
    assert isinstance(error.value, UserError)


def test_a_pattern_out_of_time_is_skipped_and_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A pattern slow only on texts the save-time probes do not cover.
    monkeypatch.setattr(patterns_module, "_PROBES", ())
    patterns = PatternSet([r"(a+)+$", "spam"], timeout=0.01)
    hostile = "a" * 2000 + "!"

    with caplog.at_level(logging.WARNING):
        assert patterns.find(hostile) is None
        assert patterns.find(hostile + " spam") == "spam"

    assert len([record for record in caplog.records if "ran out of" in record.message]) == 1


async def test_settings_are_stored_with_a_version_and_refused_when_invalid(
    database: Database,
) -> None:
    store = AutomodStore(database)
    assert (await store.load(GUILD)).version == 0

    darn = {"rules": [{"kind": "words", "words": ["darn"]}]}
    first = await store.save(GUILD, darn, expected_version=0)
    heck = {"rules": [{"kind": "words", "words": ["heck"]}]}
    second = await store.save(GUILD, heck, expected_version=1)
    loaded = await store.load(GUILD)

    assert first is not None and second is not None
    assert (first.version, second.version, loaded.version) == (1, 2, 2)
    assert AutomodEngine().judge(_message("heck"), loaded) is not None
    with pytest.raises(UserError, match="catastrophically"):
        bad = {"rules": [{"kind": "patterns", "patterns": ["(a+)+$"]}]}
        await store.save(GUILD, bad, expected_version=2)
    with pytest.raises(UserError, match=r"rules\.0"):
        await store.save(GUILD, {"rules": [{"kind": "timeout"}]}, expected_version=2)
    assert (await store.load(GUILD)).version == 2


async def test_an_edit_from_an_older_version_is_not_stored(database: Database) -> None:
    store = AutomodStore(database)
    darn = {"rules": [{"kind": "words", "words": ["darn"]}]}
    heck = {"rules": [{"kind": "words", "words": ["heck"]}]}
    assert await store.save(GUILD, darn, expected_version=0) is not None
    assert await store.save(GUILD, heck, expected_version=0) is None  # made from version 0
    assert await store.save(GUILD, heck, expected_version=5) is None  # from the future
    loaded = await store.load(GUILD)
    assert loaded.version == 1
    assert AutomodEngine().judge(_message("darn"), loaded) is not None
    assert AutomodEngine().judge(_message("heck"), loaded) is None
    saved = await store.save(GUILD, heck, expected_version=1)
    assert saved is not None and saved.version == 2


def test_spam_state_is_bounded_and_small() -> None:
    tracker = SpamTracker(max_members=1000)
    rules = _rules({"rules": [{"kind": "rate"}, {"kind": "duplicates"}]})
    engine = AutomodEngine(tracker)

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for member in range(5000):
        for n in range(6):
            engine.judge(_message(f"hi {n}", author_id=member + 1, at=float(n)), rules)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    assert len(tracker) == 1000
    assert used < 1000 * 1200  # under 1.2 kB a member: its times, last digest, strikes


def test_a_large_corpus_gets_the_verdicts_it_got_before_the_rules_shared_one_reading() -> None:
    """12,000 seeded messages (leetspeak, look-alikes, repeats, floods, links, invites, long
    texts, odd spaces) judged in order, against the verdicts main's automod gave them."""
    expected = stored_verdicts()
    found = verdicts(corpus())
    differing = [index for index, verdict in enumerate(found) if verdict != expected[index]]
    assert not differing, [(corpus()[i][0][:80], expected[i], found[i]) for i in differing[:5]]
    assert sum(verdict is not None for verdict in found) > len(found) // 3


def _automod_benchmark() -> ModuleType:
    """``benchmarks/automod.py``, loaded as a module (its discord.py state is the one to use)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "automod.py"
    spec = importlib.util.spec_from_file_location("automod_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_facts_are_read_off_discords_message_field_by_field() -> None:
    """Guild, channel, author, roles, mentions and time each land in their own field (they
    are passed in order, and three of them are ids a swap would not show to the type check),
    read off a message parsed by the automod benchmark's discord.py state (which this also
    keeps working)."""
    bench = _automod_benchmark()
    role = int(bench.ROLE_IDS[0])
    sent = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    faceless = {"avatar": None, "global_name": None, "public_flags": 0}
    payload: Any = {
        "id": str(discord.utils.time_snowflake(sent)),
        "channel_id": str(bench.CHANNEL_ID),
        "guild_id": str(bench.GUILD_ID),
        "author": {"id": str(ALICE), "username": "alice", "discriminator": "0", **faceless},
        "member": {
            "roles": [str(role)],
            "joined_at": sent.isoformat(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        },
        "content": "hi @bob @role",
        "timestamp": sent.isoformat(),
        "mentions": [{"id": str(BOB), "username": "bob", "discriminator": "0", **faceless}],
        "mention_roles": [str(role)],
        "mention_everyone": True,
        "attachments": [],
        "embeds": [],
        "type": 0,
    }
    loop = asyncio.new_event_loop()
    try:
        state = bench.minimal_state(loop)
        state.parse_message_create(payload)
        message = state._messages[-1]
        assert isinstance(message.author, discord.Member)
        facts = message_facts(message, message.author)
    finally:
        loop.close()
    assert facts == MessageFacts(
        bench.GUILD_ID,
        bench.CHANNEL_ID,
        ALICE,
        frozenset({role}),
        "hi @bob @role",
        3,
        sent.timestamp(),
    )
