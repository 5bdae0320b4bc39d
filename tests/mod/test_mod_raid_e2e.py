"""Raid defence end to end: join bursts, gates, raid mode, its alert, massban and its end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import discord
import pytest
from automod_helpers import CaseFeed, answer
from mod_commands_helpers import answer_of, audited, massban_button

from botfleet.bots.mod.events.raid import RAID_END_EVENT, RaidEvents
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.raid import RaidStore
from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.resources.audit_log import AuditLogEvent
from botfleet.services.scheduler import ScheduledTimer


@pytest.fixture
def modlog(guild: SandboxGuild) -> SandboxChannel:
    return guild.add_text_channel("mod-log")


async def configure(
    owner: SandboxMember, channel: SandboxChannel, app: Application, **options: object
) -> None:
    response = await answer(owner, channel, app, "config", options, command="raid")
    assert response.ephemeral and "saved" in response.embeds[0]["title"], response.content


def titled(title: str) -> Callable[[Message], bool]:
    """A modlog post whose embed's title holds ``title`` (cases are posted there too)."""
    return lambda message: bool(message.embeds) and title in message.embeds[0].get("title", "")


async def test_a_join_burst_starts_raid_mode_and_its_end_restores_the_level(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    modlog: SandboxChannel,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        chosen = await answer(owner, general, app, "modlog", {"channel": modlog}, command="modset")
        assert "Cases are posted in" in chosen.content, chosen.content
        await configure(owner, general, app, enabled=True, joins=4, seconds=30)
        raiders = await guild.join_burst(4)  # the alert goes to the modlog: no alert channel set
        alert = await modlog.wait_for_message(author=app, check=titled("Raid mode on"))
        assert "4 members joined" in str(alert.embeds[0])
        cases = [await feed.next() for _ in raiders]
        assert {case.target_id for case in cases} == {raider.id for raider in raiders}
        assert {case.action for case in cases} == {CaseAction.TIMEOUT}
        assert all(raider.timed_out for raider in raiders)
        assert guild.verification_level == 3
        seen = bot.get_guild(guild.id)
        assert seen is not None and seen.verification_level.value == 3  # GUILD_UPDATE
        raised = guild.audit_log[-len(raiders) - 1]
        assert raised.action_type is AuditLogEvent.GUILD_UPDATE
        assert raised.reason is not None and "raid mode on" in raised.reason

        late = guild.add_member("latecomer")
        assert (await feed.next()).target_id == late.id  # joins during the raid are acted on

        ended = await answer(owner, general, app, "end", command="raid")
        assert "Raid mode off" in ended.embeds[0]["title"]
        assert guild.verification_level == 0
        await modlog.wait_for_message(author=app, check=titled("Raid mode off"))
        calm = guild.add_member("calm")
        still = await answer(owner, general, app, "status", command="raid")
        assert "off" in str(still.embeds[0]) and not calm.timed_out


async def test_the_massban_bans_the_flagged_after_a_confirmation(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    modlog: SandboxChannel,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await configure(
            owner, general, app, enabled=True, joins=3, action="nothing", alert_channel=modlog
        )
        raiders = await guild.join_burst(3)
        alert = await modlog.wait_for_message(author=app)
        refused = await (await alice.click(alert, massban_button(alert))).wait_for_response()
        assert refused.ephemeral and "may ban" in refused.content

        asked = await (await owner.click(alert, massban_button(alert))).wait_for_response()
        assert asked.ephemeral and "Ban the 3 members" in asked.content
        assert not guild.bans  # nothing until confirmed
        assert asked.message is not None
        [confirm] = [c["custom_id"] for c in asked.message.iter_components() if c.get("type") == 2]
        handle = await owner.click(asked.message, confirm)
        done = await answer_of(handle)
        assert "Banned 3 flagged members" in done.content
        assert {ban.user.id for ban in guild.bans} == {raider.id for raider in raiders}
        bans = [await feed.next() for _ in raiders]
        assert {case.action for case in bans} == {CaseAction.BAN}
        assert {case.moderator_id for case in bans} == {owner.id}
        empty = await (await owner.click(alert, massban_button(alert))).wait_for_response()
        assert "No flagged joiner" in empty.content


async def test_gates_act_on_new_accounts_and_accounts_without_an_avatar(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await configure(
            owner,
            general,
            app,
            enabled=True,
            account_age_days=7,
            require_avatar=True,
            action="kick",
        )
        young = guild.add_member("young", account_age=timedelta(days=1), avatar=True)
        young_case = await feed.next()
        assert (young_case.target_id, young_case.action) == (young.id, CaseAction.KICK)
        assert young_case.reason is not None and "1 days old (under 7)" in young_case.reason
        faceless = guild.add_member("faceless", account_age=timedelta(days=400))
        faceless_case = await feed.next()
        assert faceless_case.target_id == faceless.id and "no avatar" in (
            faceless_case.reason or ""
        )
        guild.add_member("regular", account_age=timedelta(days=400), avatar=True)
        status = await answer(owner, general, app, "status", command="raid")  # a sync point
        assert "Flagged" in str(status.embeds[0])
        assert feed.empty()
        assert young.id not in guild.guild.members and faceless.id not in guild.guild.members


async def test_raid_mode_survives_a_restart_and_its_end_still_restores_the_level(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    guild.guild.verification_level = 1
    async with stage.running(settings):
        await configure(owner, general, app, enabled=True, verification_level=4)
        started = await answer(owner, general, app, "start", command="raid")
        assert "Raid mode on" in started.embeds[0]["title"]
        assert guild.verification_level == 4
    async with stage.running(settings):
        await answer(owner, general, app, "end", command="raid")
        assert guild.verification_level == 1


@pytest.mark.parametrize(
    ("subcommand", "refusal"),
    [("end", "Raid mode is not on"), ("config", "")],
)
async def test_refusals_explain_themselves(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    subcommand: str,
    refusal: str,
) -> None:
    async with stage.running(settings):
        if subcommand == "config":
            response = await answer(
                alice, general, app, "config", {"enabled": True}, command="raid"
            )
            assert response.ephemeral and "admin" in response.content.lower()
        else:
            response = await answer(owner, general, app, subcommand, command="raid")
            assert response.ephemeral and refusal in response.content


async def test_the_end_timer_ends_its_own_raid_only(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await configure(owner, general, app, enabled=True)
        await answer(owner, general, app, "start", command="raid")
        events = bot.get_cog("Raid defence")
        assert isinstance(events, RaidEvents)
        state = await events.store.get(guild.id)
        assert state.since is not None
        stale = ScheduledTimer(
            1,
            RAID_END_EVENT,
            {"guild_id": guild.id, "since": "2020-01-01"},
            state.since,
            state.since,
            "mod",
        )
        await events.on_mod_raid_end_timer_complete(stale)
        assert guild.verification_level == 3
        own = ScheduledTimer(
            2,
            RAID_END_EVENT,
            {"guild_id": guild.id, "since": state.since.isoformat()},
            state.since,
            state.since,
            "mod",
        )
        await events.on_mod_raid_end_timer_complete(own)
        assert guild.verification_level == 0


async def test_every_join_while_raid_mode_starts_is_flagged_and_acted_on(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    modlog: SandboxChannel,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await configure(
            owner, general, app, enabled=True, joins=4, seconds=30, alert_channel=modlog
        )
        first = await guild.join_burst(4)
        second = await guild.join_burst(5, prefix="second")  # while raid mode is starting
        raiders = first + second
        cases = [await feed.next() for _ in raiders]
        assert sorted(case.target_id for case in cases) == sorted(raider.id for raider in raiders)
        assert all(raider.timed_out for raider in raiders)
        state = await RaidStore(bot.database).get(guild.id)
        assert sorted(state.flagged) == sorted(raider.id for raider in raiders)
        alerts = [message for message in modlog.messages() if titled("Raid mode on")(message)]
        assert len(alerts) == 1


async def test_the_flagged_are_banned_once_when_two_moderators_confirm(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    modlog: SandboxChannel,
    general: SandboxChannel,
) -> None:
    banners = guild.add_role("Banners", permissions=discord.Permissions(ban_members=True))
    other = guild.add_member("other_mod", roles=[banners])
    async with stage.running(settings) as bot:
        await configure(
            owner, general, app, enabled=True, joins=3, action="nothing", alert_channel=modlog
        )
        raiders = await guild.join_burst(3)
        alert = await modlog.wait_for_message(author=app)
        confirms = []
        for moderator in (owner, other):
            asked = await (await moderator.click(alert, massban_button(alert))).wait_for_response()
            assert asked.message is not None and "Ban the 3 members" in asked.content
            [confirm] = [
                c["custom_id"] for c in asked.message.iter_components() if c.get("type") == 2
            ]
            confirms.append((moderator, asked.message, confirm))
        handles = [
            await moderator.click(message, confirm) for moderator, message, confirm in confirms
        ]
        double = await owner.click(confirms[0][1], confirms[0][2])
        # A refused confirmation is answered at once; a carried-out one after its deferral.
        answers = [(await handle.wait_for_message()).content for handle in handles]
        assert sum("Banned 3 flagged members" in text for text in answers) == 1, answers
        assert any(
            "being carried out" in text or "No flagged joiner" in text for text in answers
        ), answers
        assert "confirmed this massban already" in (await double.wait_for_response()).content
        cases = CaseStore(bot.database)
        for raider in raiders:
            assert len(await cases.for_member(guild.id, raider.id)) == 1
        assert len(audited(discord_sandbox, "PUT", "/bans/")) == 3


async def test_raid_mode_slower_than_discords_deadline_is_still_answered(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    guild.guild.verification_level = 1
    async with stage.running(settings):
        await configure(owner, general, app, enabled=True, verification_level=4)
        # Discord holds each verification level change back past the 3 s of a first answer.
        discord_sandbox.force_rate_limit("PATCH /guilds/{guild_id}", retry_after=3.5)
        started = await answer(owner, general, app, "start", command="raid")
        assert started.ephemeral and "Raid mode on" in started.embeds[0]["title"]
        assert guild.verification_level == 4
        discord_sandbox.force_rate_limit("PATCH /guilds/{guild_id}", retry_after=3.5)
        ended = await answer(owner, general, app, "end", command="raid")
        assert ended.ephemeral and "Raid mode off" in ended.embeds[0]["title"]
        assert guild.verification_level == 1
