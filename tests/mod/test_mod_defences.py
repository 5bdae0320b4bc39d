"""The services behind automod's commands, raids, native AutoMod and appeals, without Discord."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from mod_helpers import ALICE, BOB, GUILD, MODERATOR, OTHER_MODERATOR
from sqlalchemy import update

from botfleet.bots.mod.services.appeals import AppealStatus, AppealStore, NewAppeal
from botfleet.bots.mod.services.automod import AutomodSettings, AutomodStore, CompiledRules
from botfleet.bots.mod.services.automod_rules import (
    GuildRulesCache,
    SettingsChangedError,
    check_settings,
    parse_actions,
    with_entries,
    with_exemption,
    with_rule,
    without_rule,
)
from botfleet.bots.mod.services.native_automod import (
    NativeRuleSpec,
    NativeTrigger,
    check_room,
    check_spec,
    parse_keywords,
)
from botfleet.bots.mod.services.patterns import PatternSet, compile_pattern, required_literal
from botfleet.bots.mod.services.raid import (
    Joiner,
    JoinRateDetector,
    RaidSettings,
    RaidStore,
    edited_settings,
    gate_failure,
)
from botfleet.cache import CacheHierarchy
from botfleet.database import Database
from botfleet.database.models.mod_defence import ModDefence
from botfleet.errors import UserError

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_action_chains_are_read_with_their_durations() -> None:
    assert parse_actions("delete, warn , timeout 10m,kick") == [
        {"action": "delete"},
        {"action": "warn"},
        {"action": "timeout", "duration_seconds": 600},
        {"action": "kick"},
    ]
    with pytest.raises(UserError, match="not an automod action"):
        parse_actions("delete, nuke")
    with pytest.raises(UserError, match="at least one action"):
        parse_actions(" , ")


def test_rule_edits_build_valid_settings_and_refuse_nonsense() -> None:
    raw = with_rule(AutomodSettings(), "rate", limit=4, actions="delete, timeout 5m", decay="2h")
    settings = check_settings(raw)
    [rule] = settings.rules
    assert (rule.kind, rule.max_messages, rule.decay_seconds) == ("rate", 4, 7200)  # type: ignore[union-attr]
    settings = check_settings(with_entries(settings, "words", ["heck*", " darn "], add=True))
    assert settings.rules[1].words == ("heck*", "darn")  # type: ignore[union-attr]
    settings = check_settings(with_entries(settings, "words", ["darn"], add=False))
    assert settings.rules[1].words == ("heck*",)  # type: ignore[union-attr]
    with pytest.raises(UserError, match="Not in the words list: nope"):
        with_entries(settings, "words", ["nope"], add=False)
    with pytest.raises(UserError, match="has no limit"):
        with_rule(settings, "links", limit=3)
    with pytest.raises(UserError, match="not an automod rule"):
        with_rule(settings, "vibes")
    with pytest.raises(UserError, match="needs a duration"):
        check_settings(with_rule(settings, "caps", actions="timeout"))
    assert check_settings(without_rule(settings, "rate")).rules[0].kind == "words"
    raw, exempt = with_exemption(settings, role_id=5)
    assert exempt and check_settings(raw).exempt_roles == frozenset({5})
    raw, exempt = with_exemption(check_settings(raw), role_id=5)
    assert not exempt and check_settings(raw).exempt_roles == frozenset()


class CountingStore(AutomodStore):
    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.loads = 0

    async def load(self, guild_id: int) -> CompiledRules:
        self.loads += 1
        return await super().load(guild_id)


async def test_compiled_rules_are_rebuilt_only_when_their_version_moves(database: Database) -> None:
    seconds = [0.0]
    store = CountingStore(database)
    cache = GuildRulesCache(store, recheck_seconds=30, clock=lambda: seconds[0])
    other_process = GuildRulesCache(AutomodStore(database), recheck_seconds=30)
    first = await cache.get(GUILD)
    assert (first.version, store.loads) == (0, 1)
    assert await asyncio.gather(*(cache.get(GUILD) for _ in range(5))) == [first] * 5
    assert store.loads == 1
    saved = await other_process.save(
        GUILD, with_rule(AutomodSettings(), "caps"), expected_version=0
    )
    seconds[0] = 10
    assert (await cache.get(GUILD)).version == 0  # not looked at again before the recheck
    seconds[0] = 31
    assert (await cache.get(GUILD)).version == saved.version == 1
    assert store.loads == 2
    seconds[0] = 62
    await cache.get(GUILD)
    assert store.loads == 2  # the version was read again, but it had not moved


async def test_two_edits_from_one_version_save_the_first_and_refuse_the_second(
    database: Database,
) -> None:
    here = GuildRulesCache(AutomodStore(database), recheck_seconds=30)
    there = GuildRulesCache(AutomodStore(database), recheck_seconds=30)
    base_here, base_there = await here.get(GUILD), await there.get(GUILD)
    assert base_here.version == base_there.version == 0
    first = with_entries(base_here.settings, "words", ["heck"], add=True)
    second = with_entries(base_there.settings, "words", ["darn"], add=True)
    saved = await here.save(GUILD, first, expected_version=base_here.version)
    with pytest.raises(SettingsChangedError) as refused:
        await there.save(GUILD, second, expected_version=base_there.version)
    assert refused.value.current.version == saved.version == 1
    assert refused.value.current.settings == saved.settings  # the stored rules, shown
    assert (await there.get(GUILD)) is refused.value.current  # and used there at once
    again = with_entries(refused.value.current.settings, "words", ["darn"], add=True)
    both = await there.save(GUILD, again, expected_version=refused.value.current.version)
    assert both.version == 2
    assert both.settings.rules[0].words == ("heck", "darn")  # type: ignore[union-attr]


def test_the_detector_counts_joins_within_the_window() -> None:
    settings = RaidSettings(enabled=True, joins=3, per_seconds=10)
    detector = JoinRateDetector()
    assert detector.joined(GUILD, 1, 0.0, settings) is None
    assert detector.joined(GUILD, 2, 5.0, settings) is None
    assert detector.joined(GUILD, 3, 20.0, settings) is None  # the first two are too old
    assert detector.joined(GUILD, 4, 21.0, settings) is None
    assert detector.joined(GUILD, 5, 22.0, settings) == [3, 4, 5]
    assert detector.joined(GUILD, 6, 23.0, settings) is None  # a burst is reported once


def test_gates_on_account_age_and_avatar() -> None:
    settings = RaidSettings(min_account_age_days=7, require_avatar=True)
    young = Joiner(ALICE, NOW - timedelta(days=2), True, NOW)
    assert gate_failure(settings, young) == "account 2 days old (under 7)"
    faceless = Joiner(BOB, NOW - timedelta(days=30), False, NOW)
    assert gate_failure(settings, faceless) == "no avatar"
    assert gate_failure(settings, Joiner(BOB, NOW - timedelta(days=30), True, NOW)) is None
    assert gate_failure(RaidSettings(), young) is None
    with pytest.raises(UserError, match="joins"):
        edited_settings(settings, joins=1)


async def test_raid_mode_starts_once_and_remembers_the_level_to_restore(database: Database) -> None:
    store = RaidStore(database)
    assert await store.start(GUILD, NOW, 1)
    assert not await store.start(GUILD, NOW, 3)  # on already: the first level is kept
    await store.flag(GUILD, [ALICE, BOB, ALICE])
    ended = await store.end(GUILD)
    assert ended is not None and (ended.restore_level, ended.flagged) == (1, (ALICE, BOB))
    assert await store.end(GUILD) is None
    assert (await store.get(GUILD)).flagged == (ALICE, BOB)  # still there for the massban
    await store.unflag(GUILD, {ALICE})
    assert (await store.get(GUILD)).flagged == (BOB,)


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
async def test_raid_state_is_read_from_the_cache_and_each_change_refreshes_it_everywhere(
    database: Database,
    make_cache: Callable[[bool], Awaitable[CacheHierarchy]],
    with_redis: bool,
) -> None:
    """``/raid status`` and joins cost no query once the state is cached; raid mode started,
    in this process or (with Redis) another, is read by every process."""
    acting = RaidStore(database, await make_cache(with_redis))
    asking = RaidStore(database, await make_cache(True)) if with_redis else acting
    await acting.save_settings(GUILD, RaidSettings(joins=7))
    assert (await asking.get(GUILD)).settings.joins == 7
    async with database.session() as session:
        await session.execute(update(ModDefence).values(restore_level=4))  # behind its back
        await session.commit()
    assert (await asking.get(GUILD)).restore_level is None, "answered from the cache"
    assert await acting.start(GUILD, NOW, 2)
    async with asyncio.timeout(5):
        for delay in itertools.repeat(0.01):  # another process hears of it over Redis
            if (await asking.get(GUILD)).active:
                break
            await asyncio.sleep(delay)
    state = await asking.get(GUILD)
    assert (state.since, state.restore_level, state.settings.joins) == (NOW, 2, 7)
    await acting.flag(GUILD, [ALICE])
    ended = await acting.end(GUILD)
    assert ended is not None and ended.flagged == (ALICE,), "read from the row, not the cache"


async def test_joins_flagged_at_once_are_all_kept_for_the_massban(database: Database) -> None:
    store = RaidStore(database)
    assert await store.start(GUILD, NOW, 1)
    joiners = list(range(1_000, 1_020))
    await asyncio.gather(*(store.flag(GUILD, [user]) for user in joiners))
    assert sorted((await store.get(GUILD)).flagged) == joiners


def test_native_rules_are_checked_against_discords_limits() -> None:
    assert parse_keywords("free nitro, scam*, free nitro") == ("free nitro", "scam*")
    keyword = NativeRuleSpec("No scams", NativeTrigger.KEYWORD, keywords=("scam",))
    assert check_spec(keyword) is keyword
    check_room([NativeTrigger.KEYWORD] * 5, NativeTrigger.KEYWORD)
    with pytest.raises(UserError, match="6 keyword rules"):
        check_room([NativeTrigger.KEYWORD] * 6, NativeTrigger.KEYWORD)
    with pytest.raises(UserError, match="1 spam rule per server"):
        check_room([NativeTrigger.SPAM], NativeTrigger.SPAM)
    with pytest.raises(UserError, match="only on keyword and mention_spam"):
        check_spec(NativeRuleSpec("S", NativeTrigger.SPAM, timeout=timedelta(minutes=1)))
    with pytest.raises(UserError, match="1 to 50"):
        check_spec(NativeRuleSpec("M", NativeTrigger.MENTION_SPAM, mention_limit=51))


async def test_an_appeal_is_decided_once_and_one_is_open_at_a_time(database: Database) -> None:
    store = AppealStore(database)
    await store.set_channel(GUILD, 42)
    assert await store.channel(GUILD) == 42
    appeal = await store.open(NewAppeal(GUILD, ALICE, 1, "  I am sorry, it was a mistake.  "), NOW)
    assert appeal.text == "I am sorry, it was a mistake." and appeal.status is AppealStatus.OPEN
    with pytest.raises(UserError, match="with the staff already"):
        await store.open(NewAppeal(GUILD, ALICE, 1, "A second appeal, just in case."), NOW)
    with pytest.raises(UserError, match="20 to 1000"):
        await store.open(NewAppeal(GUILD, BOB, 2, "too short"), NOW)
    outcomes = await asyncio.gather(
        store.decide(appeal.id, AppealStatus.ACCEPTED, MODERATOR, NOW, guild_id=appeal.guild_id),
        store.decide(
            appeal.id, AppealStatus.DENIED, OTHER_MODERATOR, NOW, guild_id=appeal.guild_id
        ),
    )
    decided = [outcome for outcome in outcomes if outcome is not None]
    assert len(decided) == 1
    assert (
        await store.decide(appeal.id, AppealStatus.DENIED, MODERATOR, NOW, guild_id=appeal.guild_id)
        is None
    )
    await store.open(NewAppeal(GUILD, ALICE, 1, "Once decided, a new appeal may come."), NOW)
    await store.set_channel(GUILD, None)
    assert await store.channel(GUILD) is None


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        (r"free\s+nitro", "free"),  # "f" is rarer in chat than each letter of "nitro"
        (r"steam\s*community\.\w+/gift", "/gift"),  # a "/" is rarer than any letter
        (r"bca\s+abcd", "abcd"),  # of equally rare characters ("b"), the longer run
        (r"colou?r", "colo"),
        (r"\bScam\b", "scam"),
        (r"(abc)def", "def"),
        (r"ab+c", None),
        (r"a|bcd", None),
        (r"x[abc]yz", None),
        (r"\x41bcd", None),
        (r"\p{L}abcd", None),
        (r"ne{2,}d", None),
        (r"nitro\s\w{16,24}", "nitro"),  # a repeat count's digits are not text to find
        (r"free\s*nitro.{0,20}https?://", "://"),
        (r"a{2,10}bcd", "bcd"),
        (r"lo{100}l", None),
        (r"[^]xyz]bad", "bad"),  # "]" first in a class is one of its members
        (r"[]xyz]bad", "bad"),
        (r"[[:digit:]xyz]{4}", None),
        (r"(?x) a b c d", None),
        (r"café", None),
    ],
)
def test_required_literals_of_patterns_are_read_conservatively(
    pattern: str, literal: str | None
) -> None:
    compiled = compile_pattern(pattern)
    assert required_literal(pattern, compiled.compiled.flags) == literal


def test_patterns_with_literals_still_match_in_any_case() -> None:
    patterns = PatternSet([r"free\s+nitro", r"\bscam\b"])
    assert patterns.find("Get FREE   NITRO now") == r"free\s+nitro"
    assert patterns.find("this is a SCAM") == r"\bscam\b"
    assert patterns.find("nothing to see") is None
    assert patterns.find("free nitro, dit-il, déjà") == r"free\s+nitro"  # non-ASCII: the regex runs
