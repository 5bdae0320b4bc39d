"""Massban end to end: filters, the dry run, and its buttons, through the local stand-in."""

from __future__ import annotations

from mod_commands_helpers import ModGuild, audited

from botfleet.config.schema import Settings
from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.pytest_plugin import FleetBotStage


async def test_a_massban_shows_a_dry_run_and_bans_on_confirmation_only(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    raiders = [world.guild.add_member(f"free_nitro_{n}") for n in range(3)]
    async with stage.running(settings):
        everyone = await world.ask(world.moderator, "massban")
        assert everyone.ephemeral and "at least one filter" in everyone.content
        nobody = await world.ask(world.moderator, "massban", {"name": "^nobody$"})
        assert nobody.ephemeral and "No member matches" in nobody.content
        bad = await world.ask(world.moderator, "massban", {"name": "(x+)+y"})
        assert bad.ephemeral and "backtracks" in bad.content

        options = {"name": "^free_nitro", "joined": "1h", "account_age": "1d", "no_avatar": True}
        dry_run = await world.ask(world.moderator, "massban", options)
        assert dry_run.ephemeral
        assert dry_run.embeds[0]["title"] == "Massban dry run: 3 member(s)"
        assert all(str(raider.id) in dry_run.embeds[0]["description"] for raider in raiders)
        assert world.guild.bans == []
        cancelled = await world.moderator.click(dry_run.message, "mod:massban:cancel")
        assert "called off" in (await cancelled.wait_for_response()).content
        assert world.guild.bans == []

        dry_run = await world.ask(world.moderator, "massban", {**options, "reason": "raid"})
        pressed = await world.moderator.click(dry_run.message, "mod:massban")
        await pressed.wait_for_response()
        report = await pressed.wait_for_followup()
        assert "3 member(s) banned (cases #1 to #3)" in report.content, report.content
        assert {ban.user.id for ban in world.guild.bans} == {raider.id for raider in raiders}
        reasons = sorted(request.reason for request in audited(discord_sandbox, "PUT", "/bans/"))
        assert reasons == [f"mia, case #{n}: raid" for n in (1, 2, 3)]


async def test_a_massban_picks_members_by_their_recent_messages(
    stage: FleetBotStage, app: Application, settings: Settings, world: ModGuild
) -> None:
    spammers = [world.guild.add_member(f"member_{n}") for n in range(2)]
    async with stage.running(settings):
        await world.alice.send(world.general, "anyone up for a game?")
        for spammer in spammers:
            await spammer.send(world.general, "FREE   Nitro here: gift.example")
        await world.bob.send(world.general, "nitro is free? sounds like a scam")

        bad = await world.ask(world.moderator, "massban", {"messages": "(x+)+y"})
        assert bad.ephemeral and "backtracks" in bad.content, bad.content
        nobody = await world.ask(world.moderator, "massban", {"messages": "^nobody wrote this$"})
        assert nobody.ephemeral and "No member matches" in nobody.content

        dry_run = await world.ask(world.moderator, "massban", {"messages": r"free\s+nitro"})
        assert dry_run.ephemeral
        assert dry_run.embeds[0]["title"] == "Massban dry run: 2 member(s)"
        description = dry_run.embeds[0]["description"]
        assert all(str(spammer.id) in description for spammer in spammers)
        assert str(world.bob.id) not in description and str(world.alice.id) not in description

        pressed = await world.moderator.click(dry_run.message, "mod:massban")
        await pressed.wait_for_response()
        report = await pressed.wait_for_followup()
        assert "2 member(s) banned (cases #1 to #2)" in report.content, report.content
        assert {ban.user.id for ban in world.guild.bans} == {spammer.id for spammer in spammers}

        bot_role = world.guild.role(app.name)
        await world.general.set_permissions(bot_role, deny=Permission.READ_MESSAGE_HISTORY)
        unread = await world.ask(world.moderator, "massban", {"messages": "scam"})
        assert unread.ephemeral and "Read Message History" in unread.content, unread.content
