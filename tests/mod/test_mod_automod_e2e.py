"""Automod end to end: admins set rules with /automod, members' messages meet them."""

from __future__ import annotations

import itertools
from typing import Any

import discord
import pytest
from automod_helpers import CaseFeed, answer, cases_of
from mod_commands_helpers import answer_of

from botfleet.bots.mod.services.automod import AutomodStore
from botfleet.bots.mod.services.automod_rules import with_rule
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.warnings import WarningService
from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from dispatching import tasks_dispatching


async def test_automod_costs_no_task_per_message(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    """discord.py runs each ``on_message`` listener in a task of its own, which costs more
    than judging a short message: automod is a message hook of the bot's own ``on_message``."""
    async with stage.running(settings) as bot:
        await answer(owner, general, app, "rule", {"kind": "words", "actions": "delete"})
        await answer(owner, general, app, "list add", {"kind": "words", "entries": "heck*"})
        judged = await alice.send(general, "what the heck")
        await general.wait_for_deletion(judged)
        sent = await alice.send(general, "hello there")
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.fetch_message(sent.id)
        with_automod = tasks_dispatching(bot, "message", message)
        await bot.remove_cog("Automod")
        without_automod = tasks_dispatching(bot, "message", message)
    assert with_automod == without_automod


async def test_a_word_rule_climbs_its_chain_and_records_cases(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        set_up = await answer(
            owner, general, app, "rule", {"kind": "words", "actions": "delete, warn, timeout 10m"}
        )
        assert set_up.ephemeral and "words rule on" in set_up.embeds[0]["title"]
        listed = await answer(
            owner, general, app, "list add", {"kind": "words", "entries": "heck*, darn"}
        )
        assert "`heck*`" in str(listed.embeds[0])

        first = await alice.send(general, "what the heck")
        await general.wait_for_deletion(first)

        second = await alice.send(general, "d4rn it")
        await general.wait_for_deletion(second)
        warning = await general.wait_for_message(author=app, check=lambda m: "warned" in m.content)
        assert alice.mention in warning.content and warning.mention_user_ids == [alice.id]
        assert (await feed.next()).action is CaseAction.WARN  # the plain delete was no case

        third = await alice.send(general, "HECKING hell")
        await general.wait_for_deletion(third)
        case = await feed.next()
        assert case.action is CaseAction.TIMEOUT and case.until is not None
        assert alice.timed_out
        cases = await cases_of(bot, guild, alice)
        assert [(c.number, c.action) for c in cases] == [
            (1, CaseAction.WARN),
            (2, CaseAction.TIMEOUT),
        ]
        assert cases[1].moderator_id == app.bot_user.id
        assert cases[1].reason is not None and "Automod (words)" in cases[1].reason


@pytest.mark.parametrize("protected", [False, True], ids=["escalated", "escalation-refused"])
async def test_automod_warnings_add_points_and_escalate_as_warn_does(
    stage: FleetBotStage,
    make_settings: Any,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    protected: bool,
) -> None:
    vip = guild.add_role("VIP", position=1)
    if protected:
        await guild.give_role(alice, vip)
    thresholds = [{"points": 2, "action": "timeout", "duration_seconds": 600}]
    settings = make_settings(warning_thresholds=thresholds, protected_role_ids=[vip.id])
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await answer(owner, general, app, "rule", {"kind": "words", "actions": "warn"})
        await answer(owner, general, app, "list add", {"kind": "words", "entries": "heck"})
        warnings = WarningService(bot.database)

        await alice.send(general, "heck")
        first = await feed.next()
        assert first.action is CaseAction.WARN and first.moderator_id == app.bot_user.id
        standing = await warnings.standing(guild.id, alice.id)
        assert standing.active_points == 1
        assert standing.warnings[0].case_number == first.number

        await alice.send(general, "h3ck")
        assert (await feed.next()).action is CaseAction.WARN
        assert (await warnings.standing(guild.id, alice.id)).active_points == 2
        if protected:  # the bot may not act on a protected role: the warnings stand, no case
            await alice.send(general, "heck again")  # past the threshold: no escalation
            assert (await feed.next()).action is CaseAction.WARN
            assert not alice.timed_out
            return
        escalated = await feed.next()
        assert escalated.action is CaseAction.TIMEOUT and escalated.until is not None
        assert escalated.reason == "Reached 2 warning points (threshold 2)"
        assert alice.timed_out


async def test_innocent_words_pass_and_staff_are_never_judged(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        await answer(owner, general, app, "rule", {"kind": "words"})
        innocent = [
            await alice.send(general, text)
            for text in ("I grew up in Scunthorpe", "let me assess that", "a classic film")
        ]
        from_staff = await owner.send(general, "oh shit")
        last = await alice.send(general, "oh shit")
        await general.wait_for_deletion(last)  # messages are judged in order
        assert not any(message.deleted for message in [*innocent, from_staff])


async def test_links_outside_the_allow_list_are_deleted(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        await answer(owner, general, app, "rule", {"kind": "links"})
        await answer(owner, general, app, "list add", {"kind": "links", "entries": "github.com"})
        allowed = await alice.send(general, "see https://docs.github.com/en")
        refused = await alice.send(general, "see https://evil.example/free")
        await general.wait_for_deletion(refused)
        assert not allowed.deleted


async def test_exempt_roles_and_channels_and_rules_limited_to_a_channel(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    trusted = guild.add_role("Trusted", position=1)
    await guild.give_role(bob, trusted)
    memes = guild.add_text_channel("memes")
    async with stage.running(settings):
        await answer(owner, general, app, "rule", {"kind": "caps", "limit": 5})
        await answer(owner, general, app, "exempt", {"role": trusted})
        await answer(owner, general, app, "exempt", {"channel": memes})
        shouted_by_trusted = await bob.send(general, "HELLO EVERYONE")
        shouted_in_memes = await alice.send(memes, "HELLO EVERYONE")
        shouted = await alice.send(general, "HELLO EVERYONE")
        await general.wait_for_deletion(shouted)
        assert not shouted_by_trusted.deleted and not shouted_in_memes.deleted

        await answer(owner, general, app, "rule", {"kind": "emoji", "limit": 2, "channel": memes})
        emoji_in_general = await alice.send(general, "😀😀😀😀")
        await answer(owner, general, app, "exempt", {"channel": memes})  # exempt no longer
        emoji_in_memes = await alice.send(memes, "😀😀😀😀")
        await memes.wait_for_deletion(emoji_in_memes)
        assert not emoji_in_general.deleted


async def test_a_message_flood_times_the_member_out(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await answer(
            owner, general, app, "rule", {"kind": "rate", "limit": 3, "actions": "timeout 5m"}
        )
        feed = CaseFeed(bot)
        for number in range(4):
            await alice.send(general, f"message {number}")
        case = await feed.next()
        assert case.action is CaseAction.TIMEOUT and case.target_id == alice.id
        assert alice.timed_out
        assert "sent over 3 messages" in (case.reason or "")


@pytest.mark.parametrize(
    ("subcommand", "options", "refusal"),
    [
        ("rule", {"kind": "words", "actions": "explode"}, "not an automod action"),
        ("rule", {"kind": "words", "actions": "timeout"}, "needs a duration"),
        ("rule", {"kind": "words", "actions": "timeout 40d"}, "28 days at most"),
        ("rule", {"kind": "links", "limit": 3}, "has no limit"),
        ("rule", {"kind": "rate", "limit": 300}, "max_messages"),
        ("list add", {"kind": "patterns", "entries": "(a+)+$"}, "backtrack"),
        (
            "list add",
            {"kind": "patterns", "entries": "(unclosed"},
            "not a valid regular expression",
        ),
        ("list remove", {"kind": "words", "entries": "heck"}, "no words rule"),
        ("off", {"kind": "caps"}, "There is no caps rule"),
        ("exempt", {}, "either a role or a channel"),
    ],
)
async def test_bad_settings_get_a_clear_ephemeral_answer_and_change_nothing(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    general: SandboxChannel,
    subcommand: str,
    options: dict[str, object],
    refusal: str,
) -> None:
    async with stage.running(settings):
        response = await answer(owner, general, app, subcommand, options)
        assert response.ephemeral
        assert refusal in response.content, response.content
        shown = await answer(owner, general, app, "show")
        assert "No rule yet" in str(shown.embeds[0])


async def test_members_cannot_change_the_rules(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await answer(alice, general, app, "rule", {"kind": "words"})
        assert response.ephemeral and "admin" in response.content.lower()
        shown = await answer(owner, general, app, "show")
        assert "No rule yet" in str(shown.embeds[0])


async def test_rule_edits_answer_privately_in_time(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    """Saved quickly, the edit's answer is its one callback (answer_in_time acknowledges it
    first only when the list takes longer than its grace)."""
    words = ["".join(letters) for letters in itertools.product("vwxyz", repeat=3)]
    entries = ", ".join(words[:120])
    async with stage.running(settings):
        handle = await owner.run_command(
            general, app, "automod", {"kind": "words", "entries": entries}, subcommand="list add"
        )
        saved = await answer_of(handle)
        assert saved.ephemeral and saved.embeds, saved.content
        assert "words list changed" in saved.embeds[0]["title"]
        assert "`vvv`" in str(saved.embeds[0])


async def test_an_edit_made_from_older_rules_is_refused_with_the_current_ones(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await answer(owner, general, app, "list add", {"kind": "words", "entries": "heck"})
        # Another admin, served by another process, adds a rule meanwhile: this process still
        # holds version 1 of the rules (it looks at the stored version again after 30 s).
        other_process = AutomodStore(bot.database)
        current = await other_process.load(guild.id)
        assert current.version == 1
        links_on = with_rule(current.settings, "links")
        assert await other_process.save(guild.id, links_on, expected_version=1) is not None

        refused = await answer(
            owner, general, app, "list add", {"kind": "words", "entries": "darn"}
        )
        assert refused.ephemeral and "changed meanwhile" in refused.embeds[0]["title"]
        assert "(words list changed) was not saved" in str(refused.embeds[0])
        assert "links" in str(refused.embeds[0])  # the rules as they are now
        assert "`darn`" not in str(refused.embeds[0])
        kept = await alice.send(general, "darn")

        again = await answer(owner, general, app, "list add", {"kind": "words", "entries": "darn"})
        assert "words list changed" in again.embeds[0]["title"]
        shown = str((await answer(owner, general, app, "show")).embeds)
        assert "`heck`, `darn`" in shown and "links" in shown  # neither change lost
        gone = await alice.send(general, "darn")
        await general.wait_for_deletion(gone)
        assert not kept.deleted
