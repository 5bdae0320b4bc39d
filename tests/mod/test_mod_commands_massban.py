"""Massban end to end: filters, the dry run, and its buttons, through the local stand-in."""

from __future__ import annotations

from mod_commands_helpers import ModGuild, answer_of, audited

from botfleet.bots.mod.services.cases import CaseStore
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
        report = await answer_of(pressed)
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
        report = await answer_of(pressed)
        assert "2 member(s) banned (cases #1 to #2)" in report.content, report.content
        assert {ban.user.id for ban in world.guild.bans} == {spammer.id for spammer in spammers}

        bot_role = world.guild.role(app.name)
        await world.general.set_permissions(bot_role, deny=Permission.READ_MESSAGE_HISTORY)
        unread = await world.ask(world.moderator, "massban", {"messages": "scam"})
        assert unread.ephemeral and "Read Message History" in unread.content, unread.content


async def test_a_massban_is_carried_out_once_however_often_it_is_confirmed(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    raiders = [world.guild.add_member(f"free_nitro_{n}") for n in range(3)]
    async with stage.running(settings) as bot:
        options = {"name": "^free_nitro", "reason": "raid"}
        mine = await world.ask(world.moderator, "massban", options)
        theirs = await world.ask(world.second_moderator, "massban", options)
        assert mine.message is not None and theirs.message is not None
        # A double click, and a second moderator confirming the same members at once.
        double = [await world.moderator.click(mine.message, "mod:massban") for _ in range(2)]
        other = await world.second_moderator.click(theirs.message, "mod:massban")

        again = await double[1].wait_for_response()
        assert again.ephemeral and "carried out already" in again.content, again.content
        reports = []
        for handle in (double[0], other):
            reports.append((await answer_of(handle)).content)
        [done] = [report for report in reports if "3 member(s) banned" in report]
        assert "(cases #1 to #3)" in done
        [refused] = [report for report in reports if report != done]
        assert "being carried out in this server" in refused or (
            "0 member(s) banned" in refused and "Skipped 3" in refused
        ), refused
        assert "banned already" in refused or "being carried out" in refused

        cases = CaseStore(bot.database)
        for raider in raiders:
            assert len(await cases.for_member(world.guild.id, raider.id)) == 1
        assert len(audited(discord_sandbox, "PUT", "/bans/")) == 3


async def test_a_massban_that_fails_after_its_press_still_answers(
    stage: FleetBotStage, app: Application, settings: Settings, world: ModGuild
) -> None:
    for n in range(2):
        world.guild.add_member(f"free_nitro_{n}")
    async with stage.running(settings):
        dry_run = await world.ask(world.moderator, "massban", {"name": "^free_nitro"})
        assert dry_run.message is not None
        bot_member = world.guild.member(app.bot_user.username)
        await world.guild.take_role(bot_member, world.guild.role(app.name))  # no Ban Members

        pressed = await world.moderator.click(dry_run.message, "mod:massban")
        answer = await answer_of(pressed)
        assert answer.ephemeral and "went wrong" in answer.content, answer.content
        assert world.guild.bans == []
