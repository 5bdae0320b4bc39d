"""/massban and the raid alert's massban share one claim per guild, through the local stand-in.

Each alone bans a member once; run together on the same members they must not ban anyone
twice (two cases, two MemberBanned events). A moderator refused because the other one is under
way is told so and may confirm again once it is done.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from mod_commands_helpers import ModGuild, answer_of, audited, massban_button, wait_for

from botfleet.bots.mod.services.cases import CaseStore
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox, InteractionHandle, Message, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage

BAN_ROUTE = "PUT /guilds/{guild_id}/bans/{user_id}"
RAIDERS = 3


async def raid(world: ModGuild) -> list[SandboxMember]:
    """A join burst flags its members (and does nothing else to them); the alert is posted."""
    saved = await world.ask(
        world.admin,
        "raid",
        {"enabled": True, "joins": RAIDERS, "action": "nothing", "alert_channel": world.modlog},
        subcommand="config",
    )
    assert "saved" in saved.embeds[0]["title"], saved.content
    raiders = await world.guild.join_burst(RAIDERS)
    await world.modlog.wait_for_message(author=world.app)
    return raiders


async def raid_confirmation(world: ModGuild, moderator: SandboxMember) -> tuple[Message, str]:
    """The alert's massban button pressed by ``moderator``: their confirmation and its button."""
    [alert] = world.modlog.messages()
    asked = await (await moderator.click(alert, massban_button(alert))).wait_for_response()
    assert asked.message is not None and f"Ban the {RAIDERS} members" in asked.content
    [confirm] = [c["custom_id"] for c in asked.message.iter_components() if c.get("type") == 2]
    return asked.message, str(confirm)


async def dry_run(world: ModGuild) -> Message:
    """The moderator's /massban of the raiders, shown and not yet confirmed."""
    shown = await world.ask(world.moderator, "massban", {"name": "^raider", "reason": "raid"})
    assert shown.message is not None and shown.embeds[0]["title"].endswith(f"{RAIDERS} member(s)")
    return shown.message


async def banned_once(
    bot: FleetBot[Any], sandbox: DiscordSandbox, world: ModGuild, raiders: list[SandboxMember]
) -> None:
    cases = CaseStore(bot.database)
    for raider in raiders:
        assert len(await cases.for_member(world.guild.id, raider.id)) == 1
    assert len(audited(sandbox, "PUT", "/bans/")) == RAIDERS
    assert {ban.user.id for ban in world.guild.bans} == {raider.id for raider in raiders}


async def command_report(press: InteractionHandle) -> str:
    return (await answer_of(press)).content


@dataclass
class Race:
    """A raid's flagged members, the alert's confirmation for max and mia's /massban dry run."""

    raiders: list[SandboxMember]
    confirmation: Message
    confirm: str
    shown: Message

    async def by_raid(self, world: ModGuild) -> InteractionHandle:
        return await world.second_moderator.click(self.confirmation, self.confirm)

    async def by_command(self, world: ModGuild) -> InteractionHandle:
        return await world.moderator.click(self.shown, "mod:massban")


async def race(world: ModGuild) -> Race:
    raiders = await raid(world)
    confirmation, confirm = await raid_confirmation(world, world.second_moderator)
    return Race(raiders, confirmation, confirm, await dry_run(world))


async def held_back(
    sandbox: DiscordSandbox, world: ModGuild, press: Awaitable[InteractionHandle]
) -> InteractionHandle:
    """``press``, with Discord holding its first ban back for a second: it is under way."""
    held = sandbox.force_rate_limit(BAN_ROUTE, retry_after=1.0, application=world.app)
    handle = await press
    await wait_for(sandbox, lambda: held.hits, "the first ban of the massban under way")
    return handle


async def test_both_massbans_confirmed_at_once_ban_each_member_once(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings) as bot:
        both = await race(world)
        by_raid = await both.by_raid(world)
        by_command = await both.by_command(world)
        answers = [(await by_raid.wait_for_message()).content, await command_report(by_command)]

        done = [
            text
            for text in answers
            if f"Banned {RAIDERS} flagged" in text or f"{RAIDERS} member(s) banned" in text
        ]
        assert len(done) == 1, answers
        [other] = [text for text in answers if text not in done]
        assert (
            "being carried out" in other
            or "No flagged joiner" in other
            or f"Skipped {RAIDERS}" in other
        ), answers
        await banned_once(bot, discord_sandbox, world, both.raiders)


async def test_a_raid_massban_refused_during_a_massban_can_be_confirmed_after_it(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings) as bot:
        both = await race(world)
        by_command = await held_back(discord_sandbox, world, both.by_command(world))

        answer = await (await both.by_raid(world)).wait_for_message()
        assert "A massban by mia is being carried out" in answer.content, answer.content
        report = await command_report(by_command)
        assert f"{RAIDERS} member(s) banned (cases #1 to #{RAIDERS})" in report, report

        answer = await (await both.by_raid(world)).wait_for_message()
        assert "No flagged joiner is left to ban" in answer.content, answer.content
        await banned_once(bot, discord_sandbox, world, both.raiders)


async def test_a_massban_refused_during_a_raid_massban_can_be_confirmed_after_it(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings) as bot:
        both = await race(world)
        by_raid = await held_back(discord_sandbox, world, both.by_raid(world))

        refused = await both.by_command(world)
        answer = await command_report(refused)
        assert "A massban by max is being carried out" in answer, answer
        dry_run = discord_sandbox.state.messages[refused.interaction.source_message_id or 0]
        assert not any(c.get("disabled") for c in dry_run.iter_components() if c["type"] == 2)
        done = await by_raid.wait_for_message()
        assert f"Banned {RAIDERS} flagged members" in done.content, done.content

        report = await command_report(await both.by_command(world))
        assert f"0 member(s) banned.\nSkipped {RAIDERS}" in report, report
        assert "banned already" in report, report
        await banned_once(bot, discord_sandbox, world, both.raiders)


async def test_a_raid_massban_that_failed_can_be_confirmed_again(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings) as bot:
        both = await race(world)
        bot_member, bot_role = (
            world.guild.member(world.app.bot_user.username),
            world.guild.role(world.app.name),
        )
        await world.guild.take_role(bot_member, bot_role)  # Discord refuses the bot the bans
        failed = await (await both.by_raid(world)).wait_for_message()
        assert "went wrong" in failed.content, failed.content
        assert world.guild.bans == []

        await world.guild.give_role(bot_member, bot_role)
        done = await (await both.by_raid(world)).wait_for_message()
        assert f"Banned {RAIDERS} flagged members" in done.content, done.content
        await banned_once(bot, discord_sandbox, world, both.raiders)
