"""Discord's own AutoMod from the bot: rules within Discord's limits, executions as cases."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest
from automod_helpers import CaseFeed, answer

from botfleet.bots.mod.services.limits import CaseAction
from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    MessageBlockedError,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage


def native_rules(stage: FleetBotStage, guild: SandboxGuild) -> list[object]:
    return list(stage.sandbox.state.automod_rules.get(guild.id, {}).values())


async def test_a_keyword_rule_blocks_times_out_and_each_action_is_a_case(
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
        created = await answer(
            owner,
            general,
            app,
            "native create",
            {
                "name": "No scams",
                "kind": "keyword",
                "keywords": "free nitro, scam*",
                "timeout": "10m",
            },
        )
        assert created.ephemeral and "created" in created.embeds[0]["title"]
        [rule] = stage.sandbox.state.automod_rules[guild.id].values()
        assert rule.creator_id == app.bot_user.id and rule.enabled
        assert rule.trigger_metadata["keyword_filter"] == ["free nitro", "scam*"]
        assert guild.audit_log[-1].reason is not None and "owner" in guild.audit_log[-1].reason

        fine = await alice.send(general, "nitro is free? no")
        with pytest.raises(MessageBlockedError, match="No scams"):
            await alice.send(general, "get your FREE NITRO here")
        first, second = await feed.next(), await feed.next()
        assert {first.action, second.action} == {CaseAction.BLOCK, CaseAction.TIMEOUT}
        assert first.moderator_id == app.bot_user.id  # the rule's creator
        assert first.reason is not None and "“No scams”" in first.reason
        assert "free nitro" in first.reason
        assert alice.timed_out and not fine.deleted

        listed = await answer(owner, general, app, "native list")
        assert "No scams" in str(listed.embeds[0]) and "timeout 0:10:00" in str(listed.embeds[0])


async def test_rules_are_edited_switched_off_and_deleted(
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
            owner,
            general,
            app,
            "native create",
            {"name": "Words", "kind": "keyword", "keywords": "foo"},
        )
        updated = bot.wait_for("automod_rule_update", timeout=5)
        edited = await answer(
            owner, general, app, "native edit", {"rule": "words", "keywords": "bar, baz*"}
        )
        assert "changed" in edited.embeds[0]["title"]
        assert (await updated).trigger.keyword_filter == ["bar", "baz*"]
        await alice.send(general, "foo is fine now")
        with pytest.raises(MessageBlockedError):
            await alice.send(general, "bazooka")

        await answer(owner, general, app, "native edit", {"rule": "Words", "enabled": False})
        await alice.send(general, "bazooka")  # the rule is off

        deleted = bot.wait_for("automod_rule_delete", timeout=5)
        gone = await answer(owner, general, app, "native delete", {"rule": "Words"})
        assert "deleted" in gone.content
        assert (await deleted).name == "Words"
        assert native_rules(stage, guild) == []


async def test_discords_limits_per_kind_are_kept(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        for number in range(6):
            made = await answer(
                owner,
                general,
                app,
                "native create",
                {"name": f"Words {number}", "kind": "keyword", "keywords": f"word{number}"},
            )
            assert not made.content, made.content
        refused = await answer(
            owner,
            general,
            app,
            "native create",
            {"name": "Seventh", "kind": "keyword", "keywords": "x"},
        )
        assert "Discord allows 6 keyword rules per server" in refused.content
        await answer(owner, general, app, "native create", {"name": "Spam", "kind": "spam"})
        again = await answer(
            owner, general, app, "native create", {"name": "Spam 2", "kind": "spam"}
        )
        assert "Discord allows 1 spam rule per server" in again.content
        assert len(native_rules(stage, guild)) == 7

        served = bot.get_guild(guild.id)
        assert served is not None
        with pytest.raises(discord.HTTPException) as past_the_limit:  # the stand-in refuses too
            await served.create_automod_rule(
                name="Direct",
                event_type=discord.AutoModRuleEventType.message_send,
                trigger=discord.AutoModTrigger(keyword_filter=["y"]),
                actions=[discord.AutoModRuleAction()],
            )
        assert past_the_limit.value.code == 50035
        assert "AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED" in past_the_limit.value.text


async def test_the_stand_in_validates_rules_as_discord_does(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
) -> None:
    async with stage.running(settings) as bot:
        served = bot.get_guild(guild.id)
        assert served is not None
        bad_triggers = [
            discord.AutoModTrigger(keyword_filter=["x" * 61]),
            discord.AutoModTrigger(regex_patterns=["(unclosed"]),
            discord.AutoModTrigger(type=discord.AutoModRuleTriggerType.keyword),
        ]
        for trigger in bad_triggers:
            with pytest.raises(discord.HTTPException) as refused:
                await served.create_automod_rule(
                    name="Bad",
                    event_type=discord.AutoModRuleEventType.message_send,
                    trigger=trigger,
                    actions=[discord.AutoModRuleAction()],
                )
            assert (refused.value.status, refused.value.code) == (400, 50035)
        with pytest.raises(discord.HTTPException) as timeout_on_spam:
            await served.create_automod_rule(
                name="Spam",
                event_type=discord.AutoModRuleEventType.message_send,
                trigger=discord.AutoModTrigger(type=discord.AutoModRuleTriggerType.spam),
                actions=[discord.AutoModRuleAction(duration=timedelta(minutes=5))],
            )
        assert timeout_on_spam.value.code == 50035
        with pytest.raises(discord.NotFound) as unknown:
            await served.fetch_automod_rule(1234)
        assert unknown.value.code == 10066
        assert native_rules(stage, guild) == []


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"name": "K", "kind": "keyword"}, "needs keywords"),
        ({"name": "S", "kind": "spam", "keywords": "x"}, "takes no keywords"),
        ({"name": "S", "kind": "spam", "timeout": "10m"}, "only on keyword and mention_spam"),
        ({"name": "K", "kind": "keyword", "keywords": "x", "timeout": "29d"}, "28 days at most"),
        ({"name": "M", "kind": "mention_spam"}, "needs a mention limit"),
        ({"name": "P", "kind": "keyword_preset"}, "needs a preset"),
        ({"name": "K", "kind": "keyword", "keywords": "x" * 61}, "60 characters at most"),
        ({"name": "K", "kind": "keyword", "keywords": "x", "block": False}, "needs an action"),
    ],
)
async def test_bad_native_rules_are_refused_before_asking_discord(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
    options: dict[str, object],
    refusal: str,
) -> None:
    async with stage.running(settings):
        response = await answer(owner, general, app, "native create", options)
        assert response.ephemeral and refusal in response.content, response.content
        assert native_rules(stage, guild) == []


async def test_without_manage_server_the_bot_says_what_it_needs(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await answer(guild.owner, general, app, "native list")
        assert response.ephemeral and "Manage Server" in response.content
        unknown = await answer(guild.owner, general, app, "native delete", {"rule": "nope"})
        assert "Manage Server" in unknown.content
