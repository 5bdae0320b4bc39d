"""The services the commands act through: checks, purge plans, cases kept only when the action
went, and a guild's moderation channels. Without Discord."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from mod_helpers import ALICE, BOB, CHANNEL, GUILD, MODERATOR, Clock
from pydantic import ValidationError

from botfleet.bots.mod.config import ModOptions
from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.channels import MAX_LOCKDOWN_CHANNELS, ModChannelStore
from botfleet.bots.mod.services.checks import Party, Scene, check_action
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.massban import (
    MAX_MASSBAN,
    MassbanFilter,
    MemberFacts,
    pick_members,
)
from botfleet.bots.mod.services.patterns import PatternSet
from botfleet.bots.mod.services.purge import MessageFacts, PurgeFilter, plan_purge
from botfleet.bots.mod.services.recording import CaseRecorder
from botfleet.bots.mod.services.warning_rules import (
    with_expiry,
    with_preset,
    with_threshold,
    without_preset,
    without_threshold,
)
from botfleet.bots.mod.services.warnings import WarningSettings
from botfleet.database import Database
from botfleet.errors import UserError

OWNER = 42
BOT = 7
MODERATION = frozenset({"kick_members", "ban_members", "moderate_members"})


def party(
    id_: int,
    position: int,
    permissions: frozenset[str] = frozenset(),
    *,
    roles: frozenset[int] = frozenset(),
    managed: bool = False,
) -> Party:
    return Party(id_, f"user{id_}", position, permissions, roles, managed)


def scene(
    target: Party | None,
    *,
    action: CaseAction = CaseAction.KICK,
    moderator: Party | None = None,
    bot: Party | None = None,
    protected: tuple[int, ...] = (),
) -> Scene:
    return Scene(
        action=action,
        moderator=moderator or party(MODERATOR, 5, MODERATION),
        bot=bot or party(BOT, 10, MODERATION),
        owner_id=OWNER,
        target=target,
        protected_role_ids=protected,
    )


@pytest.mark.parametrize(
    ("the_scene", "refusal"),
    [
        (scene(party(ALICE, 1), bot=party(BOT, 10)), "my role lacks **Kick Members**"),
        (scene(party(ALICE, 1), moderator=party(MODERATOR, 5)), "You need **Kick Members**"),
        (scene(party(MODERATOR, 5, MODERATION)), "can't kick yourself"),
        (scene(party(BOT, 10, MODERATION)), "won't kick myself"),
        (scene(party(OWNER, 0)), "owns this server"),
        (scene(party(ALICE, 5)), "level with or above yours"),
        (
            scene(party(ALICE, 12), moderator=party(MODERATOR, 20, MODERATION)),
            "level with or above mine",
        ),
        (scene(party(ALICE, 1, roles=frozenset({99})), protected=(99,)), "protected role"),
        (scene(party(BOB, 1, managed=True), action=CaseAction.WARN), "is an integration"),
        (
            scene(party(ALICE, 1, frozenset({"administrator"})), action=CaseAction.TIMEOUT),
            "is an administrator",
        ),
    ],
)
def test_each_refusal_says_why(the_scene: Scene, refusal: str) -> None:
    with pytest.raises(UserError, match=refusal.replace("*", r"\*")):
        check_action(the_scene)


def test_what_may_happen_passes() -> None:
    check_action(scene(party(ALICE, 1)))
    check_action(scene(party(BOB, 1, managed=True)))
    check_action(scene(None, action=CaseAction.UNBAN))
    owner = party(OWNER, 0)
    check_action(scene(party(ALICE, 9, roles=frozenset({99})), moderator=owner, protected=(99,)))
    admin = party(MODERATOR, 5, frozenset({"administrator"}))
    check_action(scene(party(ALICE, 1), action=CaseAction.BAN, moderator=admin))


def facts(
    id_: int, content: str, clock: Clock, *, age: timedelta = timedelta(0), **kinds: bool
) -> MessageFacts:
    return MessageFacts(
        id=id_,
        author_id=ALICE,
        author_is_bot=kinds.get("bot", False),
        content=content,
        created_at=clock.now - age,
        has_files=kinds.get("files", False),
        has_embeds=kinds.get("embeds", False),
    )


def test_a_purge_plan_takes_the_newest_matches_and_sets_old_ones_apart(clock: Clock) -> None:
    messages = [
        facts(9, "spam http://a.test", clock),
        facts(8, "hello", clock),
        facts(7, "SPAM www.b.test", clock, age=timedelta(days=13)),
        facts(6, "spam discord.gg/x", clock, age=timedelta(days=15)),
        facts(5, "spam https://c.test", clock, age=timedelta(days=20)),
    ]
    plan = plan_purge(messages, PurgeFilter(text="spam", links=True), 3, clock.now)
    assert plan.recent == (9, 7)
    assert plan.old == (6,)
    assert plan_purge(messages, PurgeFilter(bots=True), 10, clock.now).recent == ()
    pattern = PatternSet([r"^hel+o$"])
    assert plan_purge(messages, PurgeFilter(pattern=pattern), 10, clock.now).recent == (8,)
    assert plan_purge(messages, PurgeFilter(member_id=BOB), 10, clock.now).recent == ()
    everything = plan_purge(messages, PurgeFilter(), 10, clock.now)
    assert len(everything.recent) + len(everything.old) == 5


def test_bulk_deletes_go_by_a_hundred(clock: Clock) -> None:
    messages = [facts(id_, "x", clock) for id_ in range(250, 0, -1)]
    plan = plan_purge(messages, PurgeFilter(), 250, clock.now)
    assert [len(batch) for batch in plan.batches()] == [100, 100, 50]


def _kick(target: int = ALICE) -> NewCase:
    return NewCase(
        guild_id=GUILD,
        action=CaseAction.KICK,
        target_id=target,
        target_name="alice",
        moderator_id=MODERATOR,
        reason="spam",
        channel_id=CHANNEL,
    )


async def test_a_failed_action_leaves_no_case_and_no_gap(database: Database, clock: Clock) -> None:
    recorder = CaseRecorder(database, clock)

    async with recorder.recording(_kick()) as first:
        assert first.number == 1
    with pytest.raises(RuntimeError):
        async with recorder.recording(_kick(BOB)) as failed:
            assert failed.number == 2
            raise RuntimeError("Discord said no")
    async with recorder.recording(_kick(BOB)) as second:
        pass

    assert second.number == 2
    assert [case.number for case in await CaseStore(database).for_member(GUILD, BOB)] == [2]


async def test_actions_recorded_at_once_are_numbered_without_gaps(
    database: Database, clock: Clock
) -> None:
    recorder = CaseRecorder(database, clock)

    async def act(index: int) -> int:
        async with recorder.recording(_kick()) as case:
            await asyncio.sleep(0)
            if index % 3 == 0:
                raise RuntimeError("refused")
        return case.number

    results = await asyncio.gather(*(act(index) for index in range(9)), return_exceptions=True)

    numbers = sorted(result for result in results if isinstance(result, int))
    assert numbers == list(range(1, 7))


async def test_a_guilds_moderation_channels(database: Database) -> None:
    store = ModChannelStore(database)
    assert (await store.get(GUILD)).modlog_channel_id is None

    await store.set_modlog(GUILD, CHANNEL)
    assert await store.add_lockdown_channel(GUILD, 1) == (1,)
    assert await store.add_lockdown_channel(GUILD, 2) == (1, 2)
    with pytest.raises(UserError, match="already"):
        await store.add_lockdown_channel(GUILD, 2)
    assert await store.remove_lockdown_channel(GUILD, 1) == (2,)
    with pytest.raises(UserError, match="not one of"):
        await store.remove_lockdown_channel(GUILD, 1)
    configured = await store.get(GUILD)
    assert (configured.modlog_channel_id, configured.lockdown_channel_ids) == (CHANNEL, (2,))
    await store.set_modlog(GUILD, None)
    assert (await store.get(GUILD)).lockdown_channel_ids == (2,)

    for channel in range(10, 10 + MAX_LOCKDOWN_CHANNELS - 1):
        await store.add_lockdown_channel(GUILD, channel)
    with pytest.raises(UserError, match="at most"):
        await store.add_lockdown_channel(GUILD, 99)


async def test_only_the_lockdown_in_force_is_ended_by_its_timer(database: Database) -> None:
    store = ModChannelStore(database)

    await store.set_lockdown(GUILD, 1)
    await store.set_lockdown(GUILD, 2)

    assert not await store.claim_lockdown_end(GUILD, 1)
    assert await store.claim_lockdown_end(GUILD, 2)
    assert not await store.claim_lockdown_end(GUILD, 2)


def member(
    id_: int,
    name: str,
    clock: Clock,
    *,
    account_age: timedelta = timedelta(days=400),
    joined_ago: timedelta = timedelta(days=100),
    avatar: bool = True,
    bot: bool = False,
    messages: tuple[str, ...] = (),
) -> MemberFacts:
    return MemberFacts(
        id=id_,
        name=name,
        display_name=name.title(),
        created_at=clock.now - account_age,
        joined_at=clock.now - joined_ago,
        has_avatar=avatar,
        is_bot=bot,
        messages=messages,
    )


def test_a_massban_picks_members_every_filter_matches(clock: Clock) -> None:
    members = [
        member(1, "old_timer", clock),
        member(2, "fresh", clock, account_age=timedelta(hours=2), joined_ago=timedelta(minutes=5)),
        member(3, "faceless", clock, account_age=timedelta(hours=3), avatar=False),
        member(4, "raid_bot", clock, account_age=timedelta(hours=1), bot=True),
        member(5, "nitro_gift", clock, joined_ago=timedelta(minutes=1), avatar=False),
    ]

    def picked(massban: MassbanFilter) -> list[int]:
        return [found.id for found in pick_members(members, massban, clock.now)]

    assert picked(MassbanFilter(account_younger_than=timedelta(days=1))) == [2, 3]
    assert picked(MassbanFilter(joined_within=timedelta(hours=1))) == [5, 2]
    assert picked(MassbanFilter(no_avatar=True)) == [5, 3]
    assert picked(MassbanFilter(name_pattern=PatternSet(["^NITRO"]))) == [5]
    both = MassbanFilter(account_younger_than=timedelta(days=1), no_avatar=True)
    assert picked(both) == [3]
    with pytest.raises(UserError, match="at least one filter"):
        MassbanFilter()


def test_a_massban_message_pattern_picks_members_by_what_they_wrote(clock: Clock) -> None:
    spam = "FREE nitro at disc0rd-gift.example"
    members = [
        member(1, "quiet", clock),
        member(2, "chatty", clock, messages=("hello", "nice game")),
        member(3, "spammer", clock, messages=("hi", spam)),
        member(4, "new_spammer", clock, account_age=timedelta(hours=1), messages=(spam,)),
        member(5, "spam_bot", clock, bot=True, messages=(spam,)),
    ]
    by_message = MassbanFilter(message_pattern=PatternSet([r"free\s+nitro"]))
    assert [found.id for found in pick_members(members, by_message, clock.now)] == [3, 4]
    young = MassbanFilter(
        account_younger_than=timedelta(days=1), message_pattern=PatternSet([r"free\s+nitro"])
    )
    assert [found.id for found in pick_members(members, young, clock.now)] == [4]


def test_a_massban_past_its_bound_is_refused(clock: Clock) -> None:
    crowd = [member(n, f"m{n}", clock, avatar=False) for n in range(MAX_MASSBAN + 1)]
    with pytest.raises(UserError, match="Narrow them down"):
        pick_members(crowd, MassbanFilter(no_avatar=True), clock.now)


def test_warning_rules_change_one_step_at_a_time_and_refuse_what_does_not_fit() -> None:
    rules = with_preset(WarningSettings(), " Spam ", "Spamming", 2)
    rules = with_threshold(rules, 5, CaseAction.BAN, None)
    rules = with_threshold(rules, 3, CaseAction.TIMEOUT, timedelta(hours=1))
    assert rules.preset("SPAM").points == 2
    assert [threshold.points for threshold in rules.thresholds] == [3, 5]
    replaced = with_threshold(rules, 3, CaseAction.KICK, None)
    assert [threshold.action for threshold in replaced.thresholds] == [
        CaseAction.KICK,
        CaseAction.BAN,
    ]
    assert with_expiry(rules, None).expire_after_days is None

    with pytest.raises(UserError, match="28 days at most"):
        with_threshold(rules, 4, CaseAction.TIMEOUT, timedelta(days=29))
    with pytest.raises(UserError, match="points input should be less than or equal to 100"):
        with_preset(rules, "flood", "Flooding", 101)
    with pytest.raises(UserError, match="no threshold at 4"):
        without_threshold(rules, 4)
    assert without_preset(without_threshold(rules, 3), "spam").presets == {}


def test_the_options_give_the_default_warning_rules_and_refuse_bad_ones() -> None:
    options = ModOptions.model_validate(
        {
            "warning_presets": {"Spam": {"reason": "Spamming", "points": 2}},
            "warning_thresholds": [{"points": 3, "action": "kick"}],
            "protected_role_ids": [5],
        }
    )
    defaults = options.warning_defaults()
    assert defaults.preset("spam").points == 2
    assert [threshold.action for threshold in defaults.thresholds] == [CaseAction.KICK]
    assert options.dm_on_action and options.protected_role_ids == (5,)
    with pytest.raises(ValidationError, match="a timeout lasts 28 days at most"):
        ModOptions.model_validate(
            {
                "warning_thresholds": [
                    {"points": 3, "action": "timeout", "duration_seconds": 40 * 86400}
                ]
            }
        )
