"""Discord's own AutoMod from the bot: rules within Discord's limits, executions as cases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import discord
import pytest
from automod_helpers import CaseFeed, answer, cases_of

from botfleet.bots.mod.services.limits import CaseAction
from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    Message,
    MessageBlockedError,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.flags import MessageType
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.render import EMBED_BAR, ComponentNumbers, TranscriptRenderer, Viewpoint


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


def field_values(message: Message) -> dict[str, str]:
    """The alert embed's fields by name, as Discord writes them (every value a string)."""
    [embed] = message.embeds
    return {str(field["name"]): str(field["value"]) for field in embed.get("fields") or []}


async def test_an_alert_rule_posts_discords_alert_and_the_execution_is_one_case(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    alerts = guild.add_text_channel("automod-alerts")
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        # The bot's own automod: a third message within 5 s breaks it. Judging Discord's alert
        # (written as alice) as her message would time her out and record a second case.
        await answer(
            owner, general, app, "rule", {"kind": "rate", "limit": 2, "actions": "timeout 10m"}
        )
        await answer(
            owner,
            general,
            app,
            "native create",
            {
                "name": "No scams",
                "kind": "keyword",
                "keywords": "free nitro",
                "alert_channel": alerts,
            },
        )
        [rule] = stage.sandbox.state.automod_rules[guild.id].values()
        seen = asyncio.Queue[discord.AutoModAction]()

        async def executed(execution: discord.AutoModAction) -> None:
            seen.put_nowait(execution)

        bot.add_listener(executed, "on_automod_action")
        received = asyncio.Queue[discord.Message]()

        async def posted(message: discord.Message) -> None:
            if message.channel.id == alerts.id:
                received.put_nowait(message)

        bot.add_listener(posted, "on_message")

        await alice.send(general, "hello all")
        await alice.send(general, "anyone around?")
        with pytest.raises(MessageBlockedError):
            await alice.send(general, "get your FREE NITRO here")

        alert = await alerts.wait_for_message(author=alice)
        assert alert.type is MessageType.AUTO_MODERATION_ACTION and alert.content == ""
        [embed] = alert.embeds
        assert embed["type"] == "auto_moderation_message"
        assert embed.get("description") == "get your FREE NITRO here"
        fields = field_values(alert)
        assert fields["rule_name"] == "No scams" and fields["channel_id"] == str(general.id)
        assert (
            fields["keyword"] == "free nitro" and fields["keyword_matched_content"] == "FREE NITRO"
        )
        assert fields["decision_outcome"] == "blocked" and "flagged_message_id" not in fields
        assert len(fields["decision_id"]) == 32

        parsed = await asyncio.wait_for(received.get(), 5)  # through discord.py's own parser
        assert parsed.type is discord.MessageType.auto_moderation_action
        assert parsed.author.id == alice.id and parsed.is_system()
        assert parsed.embeds[0].type == "auto_moderation_message"
        assert parsed.embeds[0].fields[0].name == "rule_name"

        by_kind = {}
        for _ in rule.actions:
            execution = await asyncio.wait_for(seen.get(), 5)
            by_kind[execution.action.type] = execution
        alerted = by_kind[discord.AutoModRuleActionType.send_alert_message]
        assert alerted.alert_system_message_id == alert.id and alerted.message_id is None
        assert by_kind[discord.AutoModRuleActionType.block_message].alert_system_message_id is None

        case = await feed.next()
        assert case.action is CaseAction.BLOCK and case.target_id == alice.id
        await asyncio.sleep(0.5)  # time for a second case, if the alert were judged
        assert feed.empty()
        assert [c.action for c in await cases_of(bot, guild, alice)] == [CaseAction.BLOCK]
        assert not alice.timed_out and not alert.deleted


async def test_an_alert_flags_a_posted_message_and_an_alert_alone_is_no_case(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    alerts = guild.add_text_channel("automod-alerts")
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        options = {"name": "Watch", "kind": "keyword", "keywords": "nitro", "block": False}
        await answer(owner, general, app, "native create", {**options, "alert_channel": alerts})
        flagged = await alice.send(general, "is nitro worth it")
        fields = field_values(await alerts.wait_for_message(author=alice))
        assert fields["decision_outcome"] == "flagged"
        assert fields["flagged_message_id"] == str(flagged.id)
        await asyncio.sleep(0.5)
        assert feed.empty() and not flagged.deleted


async def test_the_console_shows_discords_alert_as_its_client_does(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    alerts = guild.add_text_channel("automod-alerts")
    renderer = TranscriptRenderer(stage.sandbox.state, ComponentNumbers())
    name = alice.user.display_name
    async with stage.running(settings):
        watch = {"name": "Watch", "kind": "keyword", "keywords": "nitro", "block": False}
        scams = {"name": "No scams", "kind": "keyword", "keywords": "free gift", "timeout": "10m"}
        for rule in (watch, scams):
            await answer(owner, general, app, "native create", {**rule, "alert_channel": alerts})

        await alice.send(general, f"is <#{general.id}> the place for nitro")
        flagged = await alerts.wait_for_message(author=alice)
        assert renderer.message(flagged, Viewpoint(owner.user, general.id)) == [
            f"  [#automod-alerts] {name}:",
            "    🛡️ AutoMod has flagged a message in #general",
            f"    {EMBED_BAR}is #general the place for nitro",
            f"    {EMBED_BAR}Keyword: nitro · Rule: Watch",
        ]

        with pytest.raises(MessageBlockedError):
            await alice.send(general, "get your FREE GIFT here")
        blocked = await alerts.wait_for_message(author=alice)
        assert renderer.message(blocked, Viewpoint(owner.user, alerts.id)) == [
            f"  {name}:",
            "    🛡️ AutoMod has blocked a message in #general",
            f"    {EMBED_BAR}get your FREE GIFT here",
            f"    {EMBED_BAR}Keyword: free gift (matched “FREE GIFT”) · Rule: No scams"
            " · Timed out for 10m",
        ]
