"""The Grammar Bot end to end: the real discord.py client against the local Discord stand-in.

The AI part runs against the local OpenAI-compatible server over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from grammar_helpers import SlowEngine, grammar_cog
from pydantic import SecretStr
from sqlalchemy import select

from botfleet.bots.grammar.events.autocheck import MARK, AutoCheckEvents
from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.bots.grammar.views.result import (
    AI_REVIEW_OFFER,
    NOT_YOURS,
    NOTHING_FOUND,
    NOTHING_FOUND_TITLE,
)
from botfleet.config.schema import AISection, Settings
from botfleet.core.bot import FleetBot
from botfleet.database.models.grammar import GrammarDailyStats
from botfleet.database.models.leaderboard import LeaderboardEntry
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionResponse,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until
from dispatching import tasks_dispatching

API_KEY = "sk-grammar-test-0123456789abcdef"
BAD = "Their going to the park tomorow."
CLEAN = "I have an apple and a banana."
MANY = "Their going to the park tomorow with there friends and they has a apple."


@pytest.fixture
async def openai_server() -> AsyncIterator[LocalOpenAIServer]:
    async with LocalOpenAIServer(api_key=API_KEY) as server:
        yield server


def ai_settings(server: LocalOpenAIServer, **overrides: Any) -> AISection:
    values: dict[str, Any] = {
        "api_key": SecretStr(API_KEY),
        "base_url": server.base_url,
        "timeout": 3,
        "max_retries": 0,
        "retry_base_delay": 0.1,
        "max_retry_wait": 1,
    }
    values.update(overrides)
    return AISection(**values)


async def check(
    member: SandboxMember, channel: SandboxChannel, app: Application, text: str
) -> InteractionResponse:
    handle = await member.run_command(channel, app, "grammar", {"text": text}, subcommand="check")
    return await handle.wait_for_response()


async def press(member: SandboxMember, message: Message, custom_id: str) -> InteractionResponse:
    handle = await member.click(message, custom_id)
    return await handle.wait_for_response()


def description(response: InteractionResponse | Message) -> str:
    return str(response.embeds[0].get("description", ""))


def field_names(response: InteractionResponse | Message) -> list[str]:
    return [str(field["name"]) for field in response.embeds[0].get("fields", [])]


def reactions_of(message: Message) -> list[str]:
    return [reaction.emoji_name for reaction in message.reactions]


async def marked(sandbox: DiscordSandbox, message: Message) -> Message:
    """Wait until the bot marked ``message``: the messages sent before it were read by then."""
    return await wait_until(
        sandbox,
        lambda: message if reactions_of(message) == [MARK] else None,
        timeout=10,
        describe_failure=lambda: f"waiting for {MARK} on {message.content!r}",
    )


async def test_a_check_lists_each_issue_with_its_suggestion(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        response = await check(alice, general, app, BAD)
        assert not response.ephemeral
        embed = response.embeds[0]
        assert embed["title"] == "📝 2 issues found"
        assert BAD in description(response)
        fields = embed["fields"]
        assert "“Their”" in fields[0]["name"] and "They're" in fields[0]["value"]
        assert "“tomorow”" in fields[1]["name"] and "tomorrow" in fields[1]["value"]
        assert response.message is not None
        ids = response.message.custom_ids
        assert "grammar:apply" in ids and "grammar:apply_all" in ids
        assert "grammar:explain" not in ids and "grammar:rewrite" not in ids  # no AI key
        async with bot.database.session() as session:
            row = (await session.scalars(select(GrammarDailyStats))).one()
        assert (row.checks, row.clean_checks, row.spelling_issues, row.grammar_issues) == (
            1,
            0,
            1,
            1,
        )


async def test_a_clean_text_is_not_praised_and_earns_a_clean_result(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        response = await check(alice, general, app, CLEAN)
        assert response.embeds[0]["title"] == NOTHING_FOUND_TITLE
        assert description(response).endswith(NOTHING_FOUND)  # no AI: nothing offered
        assert "nicely" not in description(response) and "✅" not in NOTHING_FOUND_TITLE
        assert response.components == []
        await bot.gamification.xp.flush()
        async with bot.database.session() as session:
            entries = (
                await session.scalars(
                    select(LeaderboardEntry).where(
                        LeaderboardEntry.category == "grammar:clean",
                        LeaderboardEntry.period == "all_time",
                    )
                )
            ).all()
        assert [(entry.user_id, entry.value) for entry in entries if entry.guild_id] == [
            (alice.id, 1)
        ]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("   ", "nothing to check"),
        ("Der Hund läuft schnell über die Straße und bellt laut.", "doesn't look like English"),
        ("😀😀😀", "only emoji"),
    ],
)
async def test_texts_that_cannot_be_checked_get_a_private_answer(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
    text: str,
    answer: str,
) -> None:
    async with stage.running(settings):
        response = await check(alice, general, app, text)
        assert response.ephemeral and answer in response.content


async def test_the_text_option_declares_the_check_limit_and_long_messages_are_refused(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    """Discord's form keeps /grammar check within the limit; a longer message is refused."""
    async with stage.running(settings):
        with pytest.raises(SandboxScriptError, match=r"1\.\.1500 characters, got 2000"):
            await check(alice, general, app, "word " * 400)
        posted = await alice.send(general, "word " * 400)
        menu = await alice.run_context_menu(general, app, "Check grammar", posted)
        response = await menu.wait_for_response()
        assert response.ephemeral and "I check up to 1,500" in response.content


async def test_paging_and_applying_update_the_corrected_text(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await check(alice, general, app, MANY)
        message = response.message
        assert message is not None
        assert field_names(response)[0].startswith("▶ 1.")
        moved = await press(alice, message, "grammar:next")
        assert field_names(moved)[1].startswith("▶ 2.")
        applied = await press(alice, message, "grammar:apply")
        assert "(1 of 5 applied)" in description(applied)
        assert "tomorrow with there" in description(applied)
        assert "✅ applied" in str(applied.embeds[0]["fields"][1]["value"])
        back = await press(alice, message, "grammar:previous")
        assert field_names(back)[1].startswith("▶ 2.")  # moved on to 3 after applying, then back
        everything = await press(alice, message, "grammar:apply_all")
        assert "They're going to the park tomorrow with their friends and they have an apple." in (
            description(everything)
        )
        assert everything.message is not None
        assert everything.message.find_component("grammar:apply_all")["disabled"]  # type: ignore[index]


async def test_the_rule_layer_s_findings_are_shown_and_applied(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    """Mistakes Harper has no rule for: pronoun case, a count noun after less, a collocation."""
    text = "Me and him had less problems than it depends of the weather."
    async with stage.running(settings):
        response = await check(alice, general, app, text)
        assert response.embeds[0]["title"] == "📝 3 issues found"
        fields = response.embeds[0]["fields"]
        assert "“Me and him”" in fields[0]["name"] and "He and I" in fields[0]["value"]
        assert "“less”" in fields[1]["name"] and "fewer" in fields[1]["value"]
        assert "“of”" in fields[2]["name"] and "on" in fields[2]["value"]
        assert response.message is not None
        everything = await press(alice, response.message, "grammar:apply_all")
        assert "He and I had fewer problems than it depends on the weather." in (
            description(everything)
        )


async def test_only_the_member_who_asked_may_press(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    bob = guild.add_member("bob")
    async with stage.running(settings):
        response = await check(alice, general, app, BAD)
        assert response.message is not None
        refused = await press(bob, response.message, "grammar:apply_all")
        assert refused.ephemeral and refused.content == NOT_YOURS
        assert "applied" not in description(response)


async def test_the_context_menu_answers_privately(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    bob = guild.add_member("bob")
    async with stage.running(settings) as bot:
        posted = await alice.send(general, BAD)
        handle = await bob.run_context_menu(general, app, "Check grammar", posted)
        response = await handle.wait_for_response()
        assert response.ephemeral and response.embeds[0]["title"] == "📝 2 issues found"
        assert response.message is not None
        applied = await press(bob, response.message, "grammar:apply_all")
        assert "They're going to the park tomorrow." in description(applied)
        async with bot.database.session() as session:  # someone else's message: not counted
            assert (await session.scalars(select(GrammarDailyStats))).all() == []


async def test_a_check_that_finds_nothing_offers_the_ai_review(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    tmp_path: Path,
    openai_server: LocalOpenAIServer,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    settings = fleet_test_settings("grammar", tmp_path, ai=ai_settings(openai_server))
    async with stage.running(settings):
        posted = await alice.send(general, "Can I come to?")  # "too": past every offline rule
        menu = await alice.run_context_menu(general, app, "Check grammar", posted)
        response = await menu.wait_for_response()
        assert response.ephemeral and response.embeds[0]["title"] == NOTHING_FOUND_TITLE
        assert description(response).endswith(f"{NOTHING_FOUND} {AI_REVIEW_OFFER}")
        message = response.message
        assert message is not None
        assert message.custom_ids == ["grammar:explain", "grammar:rewrite"]
        openai_server.queue_reply("“to” should be “too” here.")
        handle = await alice.click(message, "grammar:explain")
        reviewed = await handle.wait_for_message()
        assert reviewed.embeds[0]["title"] == "🤖 AI review"
        assert "“too”" in reviewed.embeds[0]["description"]
        assert "The checker found no issues." in openai_server.requests[-1].messages[0]["content"]


async def test_explain_and_rewrite_ask_the_ai_with_the_findings(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    tmp_path: Path,
    openai_server: LocalOpenAIServer,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    settings = fleet_test_settings("grammar", tmp_path, ai=ai_settings(openai_server))
    async with stage.running(settings):
        response = await check(alice, general, app, BAD)
        message = response.message
        assert message is not None and "grammar:explain" in message.custom_ids
        openai_server.queue_reply("“Their” shows belonging; you mean “They're” (they are).")
        handle = await alice.click(message, "grammar:explain")
        explained = await handle.wait_for_message()
        assert explained.ephemeral and "they are" in explained.embeds[0]["description"]
        prompt = openai_server.requests[-1].messages
        assert prompt[-1] == {"role": "user", "content": BAD}
        assert "“tomorow” (Spelling)" in prompt[0]["content"]

        await press(alice, message, "grammar:apply_all")
        openai_server.queue_reply("Dear all, they are going to the park tomorrow.")
        handle = await alice.select(message, "grammar:rewrite", ["formal"])
        rewritten = await handle.wait_for_message()
        assert "Dear all" in rewritten.embeds[0]["description"]
        assert "Formal rewrite" in rewritten.embeds[0]["title"]
        prompt = openai_server.requests[-1].messages
        assert prompt[-1]["content"] == "They're going to the park tomorrow."
        assert "formal" in prompt[0]["content"]


@pytest.mark.parametrize("failure", ["rate_limit", "server_error", "slow", "budget"])
async def test_ai_failures_get_a_friendly_answer_and_keep_the_result(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    tmp_path: Path,
    openai_server: LocalOpenAIServer,
    alice: SandboxMember,
    general: SandboxChannel,
    failure: str,
) -> None:
    overrides: dict[str, Any] = {"timeout": 1} if failure == "slow" else {}
    if failure == "budget":
        overrides["user_daily_requests"] = 1
    settings = fleet_test_settings("grammar", tmp_path, ai=ai_settings(openai_server, **overrides))
    expected = {
        "rate_limit": "The AI is busy",
        "server_error": "having trouble",
        "slow": "took too long",
        "budget": "AI limit for today",
    }[failure]
    async with stage.running(settings):
        response = await check(alice, general, app, BAD)
        message = response.message
        assert message is not None
        if failure == "rate_limit":
            openai_server.queue_rate_limit(retry_after=1)
        elif failure == "server_error":
            openai_server.queue_server_error(500)
        elif failure == "slow":
            openai_server.queue_delay(3)
        else:
            first = await alice.click(message, "grammar:explain")
            await first.wait_for_message()
        handle = await alice.click(message, "grammar:explain")
        answer = await handle.wait_for_message()
        assert answer.ephemeral and expected in answer.content
        assert "offline check above still stands" in answer.content
        assert message.embeds[0]["title"] == "📝 2 issues found"
        assert not message.deleted


async def test_autocheck_marks_only_members_messages_with_issues(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    admin: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    other = guild.add_text_channel("off-topic")
    other_bot = guild.add_bot(discord_sandbox.add_application("Other Bot"))
    async with stage.running(settings) as bot:
        refused = await alice.run_command(
            general, app, "grammar", {}, subcommand="autocheck enable"
        )
        assert (await refused.wait_for_response()).ephemeral
        handle = await admin.run_command(
            general, app, "grammar", {"strictness": "relaxed"}, subcommand="autocheck enable"
        )
        enabled = await handle.wait_for_response()
        assert enabled.ephemeral and "Auto-check is on" in enabled.content

        clean = await alice.send(general, CLEAN)
        short = await alice.send(general, "their ok")
        code = await alice.send(general, f"```\n{BAD}\n```")
        elsewhere = await alice.send(other, BAD)
        from_bot = await other_bot.send(general, BAD)
        await marked(discord_sandbox, await alice.send(general, BAD))
        for message in (clean, short, code, elsewhere, from_bot):
            assert reactions_of(message) == [], message.content
        async with bot.database.session() as session:
            row = (await session.scalars(select(GrammarDailyStats))).one()
        assert (row.checks, row.clean_checks) == (2, 1)

        listing = await admin.run_command(general, app, "grammar", {}, subcommand="autocheck list")
        assert (
            f"<#{general.id}> — relaxed"
            in (await listing.wait_for_response()).embeds[0]["description"]
        )
        handle = await admin.run_command(
            general, app, "grammar", {}, subcommand="autocheck disable"
        )
        assert "off" in (await handle.wait_for_response()).content
        after = await alice.send(general, BAD)
        handle = await alice.run_command(general, app, "grammar", {}, subcommand="stats")
        await handle.wait_for_response()  # the bot has read the message before this command
        assert reactions_of(after) == []


async def autocheck_in(
    bot: FleetBot, app: Application, admin: SandboxMember, channel: SandboxChannel
) -> AutoCheckEvents:
    """Enable auto-check in ``channel`` (as ``admin``) and return the bot's auto-check cog."""
    handle = await admin.run_command(channel, app, "grammar", {}, subcommand="autocheck enable")
    await handle.wait_for_response()
    cog = bot.get_cog("Grammar auto-check")
    assert isinstance(cog, AutoCheckEvents)
    return cog


async def as_the_bot_sees_it(bot: FleetBot, sent: Message) -> discord.Message:
    """The message ``sent`` on the stand-in, as the bot's discord.py reads it."""
    channel = bot.get_channel(sent.channel_id)
    assert isinstance(channel, discord.TextChannel)
    return await channel.fetch_message(sent.id)


async def test_chat_outside_checked_channels_costs_no_task(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    admin: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    settings: Settings,
) -> None:
    """discord.py runs each ``on_message`` listener in a task of its own: auto-check is a
    message hook, so a message in a channel the bot knows is not checked costs no task."""
    other = guild.add_text_channel("off-topic")
    async with stage.running(settings) as bot:
        cog = await autocheck_in(bot, app, admin, general)
        message = await as_the_bot_sees_it(bot, await alice.send(other, "see you all tonight"))
        assert await cog.channels.strictness_in(guild.id, other.id) is None  # now cached
        with_autocheck = tasks_dispatching(bot, "message", message)
        await bot.remove_cog("Grammar auto-check")
        without_autocheck = tasks_dispatching(bot, "message", message)
    assert with_autocheck == without_autocheck


async def test_a_message_in_a_checked_channel_counts_one_memory_hit(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    admin: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    settings: Settings,
) -> None:
    """The hook reads the guild's channels from memory once, and the check it leaves uses
    what it read: the metrics' memory hits count one read per message, not two."""
    async with stage.running(settings) as bot:
        cog = await autocheck_in(bot, app, admin, general)
        assert await cog.channels.strictness_in(guild.id, general.id) is not None  # now cached
        message = await as_the_bot_sees_it(bot, await alice.send(general, "thanks"))  # no check
        before = bot.readings().cache_reads["memory_hit"]
        work = cog.hear_message(message)
        assert work is not None
        await work
        assert bot.readings().cache_reads["memory_hit"] - before == 1


async def test_the_author_reacting_gets_the_details_by_dm(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    admin: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        handle = await admin.run_command(general, app, "grammar", {}, subcommand="autocheck enable")
        await handle.wait_for_response()
        bad = await marked(discord_sandbox, await alice.send(general, BAD))
        await alice.react(bad, MARK)
        details = await alice.dm_with(app).wait_for_message(author=app)
        assert details.embeds[0]["title"] == "📝 2 issues found"
        assert general.mention in details.content


async def test_stats_show_progress(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        empty = await alice.run_command(general, app, "grammar", {}, subcommand="stats")
        assert "No checks yet" in description(await empty.wait_for_response())
        await check(alice, general, app, BAD)
        await check(alice, general, app, CLEAN)
        bob = guild.add_member("bob")
        handle = await bob.run_command(
            general, app, "grammar", {"member": alice}, subcommand="stats"
        )
        response = await handle.wait_for_response()
        fields = {field["name"]: field["value"] for field in response.embeds[0]["fields"]}
        assert fields["Checks"] == "2"
        assert fields["Clean checks"] == "1 (50%)"
        assert "Grammar: 1" in fields["Issues by category"]
        assert "Spelling: 1" in fields["Issues by category"]
        assert (
            "**This week:** 2 checks, 1.00 issues per check, 50% clean" in (fields["Improvement"])
        )


async def test_a_check_asked_while_the_engines_load_is_answered_once_they_are(
    stage: FleetBotStage, settings: Settings, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with stage.running(settings) as bot:
        cog = grammar_cog(bot)
        loaded = cog.checker
        slow = SlowEngine()  # as just after a start: the engines still load in the background
        cog.checker = GrammarChecker(loaded.options, [*loaded.engines, slow])
        cog.checker.start_loading()
        handle = await alice.run_command(
            general, stage.app, "grammar", {"text": BAD}, subcommand="check"
        )
        thinking = await handle.wait_for_response()
        assert thinking.deferred and not thinking.embeds
        slow.may_finish.set()
        answer = await handle.wait_for_message()
        assert answer.embeds[0]["title"] == "📝 2 issues found"
