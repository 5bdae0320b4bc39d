"""Warnings, escalation, the case log and the modlog end to end, through the local stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from mod_commands_helpers import ModGuild, answer_of, audited

from botfleet.bots.mod.services.cases import CaseStore
from botfleet.config.schema import Settings
from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.pytest_plugin import FleetBotStage

PRESETS = {"spam": {"reason": "Spamming the channels", "points": 2}}
THRESHOLDS = [{"points": 3, "action": "timeout", "duration_seconds": 3600}]


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(warning_presets=PRESETS, warning_thresholds=THRESHOLDS)
    return settings


async def test_cases_are_posted_in_the_modlog_and_amending_a_reason_edits_the_entry(
    stage: FleetBotStage, app: Application, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings):
        refused = await world.ask(
            world.moderator,
            "modset",
            {"channel": world.modlog},
            subcommand="modlog",
        )
        assert refused.ephemeral and "for admins" in refused.content
        chosen = await world.ask(
            world.admin,
            "modset",
            {"channel": world.modlog},
            subcommand="modlog",
        )
        assert "Cases are posted in" in chosen.content, chosen.content

        await world.ask(world.moderator, "kick", {"member": world.alice, "reason": "rude"})
        entry = await world.modlog.wait_for_message(author=app)
        [embed] = entry.embeds
        assert embed["title"] == "Case #1 · kick"
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert fields["Reason"] == "rude"
        assert str(world.alice.id) in fields["Member"]

        amended = await world.ask(world.moderator, "reason", {"number": 1, "text": "very rude"})
        assert amended.ephemeral and "very rude" in amended.content
        edited = await world.modlog.wait_for_edit(entry)
        fields = {field["name"]: field["value"] for field in edited.embeds[0]["fields"]}
        assert fields["Reason"] == "very rude"

        shown = await world.ask(world.moderator, "case", {"number": 1})
        assert shown.ephemeral and shown.embeds[0]["title"] == "Case #1 · kick"
        missing = await world.ask(world.moderator, "case", {"number": 9})
        assert missing.ephemeral and "There is no case #9" in missing.content
        listed = await world.ask(world.moderator, "cases", {"user": world.alice})
        assert "#1" in listed.embeds[0]["description"]
        assert "very rude" in listed.embeds[0]["description"]
        none = await world.ask(world.moderator, "cases", {"user": world.bob})
        assert "has no cases" in none.content
        off = await world.ask(world.admin, "modset", subcommand="modlog")
        assert off.ephemeral and "The modlog is off" in off.content
        shown = await world.ask(world.moderator, "modset", subcommand="show")
        assert "Modlog: off" in shown.content


async def test_a_warning_that_crosses_a_threshold_escalates_as_its_own_case(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings) as bot:
        handle = await world.moderator.autocomplete(
            world.general, app, "warn", {"member": world.alice, "preset": "sp"}, focused="preset"
        )
        assert [choice["value"] for choice in await handle.wait_for_choices()] == ["spam"]

        first = await world.ask(world.moderator, "warn", {"member": world.alice, "preset": "spam"})
        assert "Warned **alice** (case #1): 2 point(s), 2 active." in first.content, first.content
        dm = world.alice.dm_with(app).messages()[-1].content
        assert "Spamming the channels" in dm
        assert (await CaseStore(bot.database).get(world.guild.id, 1)).dm_text == dm
        assert not world.alice.timed_out

        handle = await world.moderator.run_command(
            world.general, app, "warn", {"member": world.alice, "reason": "again", "points": 1}
        )
        second = await answer_of(handle)
        assert "(case #2): 1 point(s), 3 active." in second.content, second.content
        escalated = await handle.wait_for_followup()
        assert "3 points reached" in escalated.content, escalated.content
        assert "(case #3)" in escalated.content
        assert world.alice.timed_out
        [request] = audited(discord_sandbox, "PATCH", f"/members/{world.alice.id}")
        assert "case #3: Reached 3 warning points (threshold 3)" in request.reason

        standing = await world.ask(world.moderator, "warnings", {"user": world.alice})
        assert standing.ephemeral
        assert "3 active point(s) of 2 warning(s)" in standing.embeds[0]["footer"]["text"]
        noted = await world.ask(world.moderator, "note", {"user": world.alice, "text": "watch"})
        assert noted.ephemeral
        standing = await world.ask(world.moderator, "warnings", {"user": world.alice})
        assert standing.embeds[0]["fields"][0]["value"] == "• watch"

        unknown = await world.ask(world.moderator, "warn", {"member": world.bob, "preset": "nope"})
        assert unknown.ephemeral and "no preset warning called “nope”" in unknown.content
        bare = await world.ask(world.moderator, "warn", {"member": world.bob})
        assert bare.ephemeral and "needs a reason or a preset" in bare.content


async def test_a_warning_crossing_two_thresholds_takes_the_highest_a_tempban(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    make_settings: Any,
    world: ModGuild,
) -> None:
    thresholds = [*THRESHOLDS, {"points": 5, "action": "tempban", "duration_seconds": 86400}]
    async with stage.running(make_settings(warning_thresholds=thresholds)):
        handle = await world.moderator.run_command(
            world.general, app, "warn", {"member": world.alice, "reason": "raid", "points": 6}
        )
        assert "(case #1): 6 point(s), 6 active." in (await answer_of(handle)).content
        escalated = await handle.wait_for_followup()
        assert "5 points reached" in escalated.content, escalated.content
        assert "Banned **alice** until" in escalated.content
        assert [ban.user.id for ban in world.guild.bans] == [world.alice.id]
        assert audited(discord_sandbox, "PATCH", f"/members/{world.alice.id}") == []
        [request] = audited(discord_sandbox, "PUT", f"/bans/{world.alice.id}")
        assert "case #2: Reached 6 warning points (threshold 5)" in request.reason


async def test_admins_set_the_servers_warning_rules_and_warn_uses_them(
    stage: FleetBotStage, app: Application, make_settings: Any, world: ModGuild
) -> None:
    async def modset(subcommand: str, **options: Any) -> str:
        return (await world.ask(world.admin, "modset", options, subcommand=subcommand)).content

    async with stage.running(make_settings()):
        assert "Presets: none" in await modset("warnings")
        assert "Presets: links (3)" in await modset(
            "preset-add", name="Links", reason="Posting links", points=3
        )
        too_long = await modset("threshold-add", points=3, action="timeout", duration="30d")
        assert "28 days at most" in too_long
        kick_for = await modset("threshold-add", points=3, action="kick", duration="1h")
        assert "a kick takes no duration" in kick_for
        assert "3 → timeout 1h" in await modset(
            "threshold-add", points=3, action="timeout", duration="1h"
        )
        assert "Points expire after: never" in await modset("warning-expiry", days=0)
        refused = await world.ask(
            world.moderator,
            "modset",
            {"name": "x", "reason": "y", "points": 1},
            subcommand="preset-add",
        )
        assert refused.ephemeral and "for admins" in refused.content

        handle = await world.moderator.run_command(
            world.general, app, "warn", {"member": world.alice, "preset": "links"}
        )
        warned = await answer_of(handle)
        assert "3 point(s), 3 active" in warned.content, warned.content
        assert "3 points reached" in (await handle.wait_for_followup()).content
        assert world.alice.timed_out
        standing = await world.ask(world.moderator, "warnings", {"user": world.alice})
        assert "counts until" not in standing.embeds[0]["description"]

        assert "Thresholds: none" in await modset("threshold-remove", points=3)
        assert "no threshold at 3" in await modset("threshold-remove", points=3)
        assert "Presets: none" in await modset("preset-remove", name="links")
        assert "no preset warnings" in await modset("preset-remove", name="links")
