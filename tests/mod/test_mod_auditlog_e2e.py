"""Actions taken in Discord itself become cases; the stand-in's audit log as Discord keeps it."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest
from automod_helpers import CaseFeed, answer

from botfleet.bots.mod.services.limits import CaseAction
from botfleet.config.schema import Settings
from botfleet.sandbox import Application, SandboxChannel, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.resources.audit_log import AuditLogEvent


async def test_a_ban_and_a_timeout_by_hand_are_recorded_as_cases(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await guild.ban(alice, reason="raiding the server")
        ban = await feed.next()
        assert (ban.number, ban.action, ban.target_id) == (1, CaseAction.BAN, alice.id)
        assert ban.moderator_id == owner.id and ban.reason == "raiding the server"
        assert ban.target_name == "alice"

        await guild.timeout(bob, timedelta(hours=1))
        timeout = await feed.next()
        assert timeout.action is CaseAction.TIMEOUT and timeout.until is not None
        assert timedelta(minutes=59) < timeout.until - timeout.created_at <= timedelta(hours=1)
        await guild.timeout(bob, None)
        assert (await feed.next()).action is CaseAction.UNTIMEOUT

        await guild.unban(alice)
        unban = await feed.next()
        assert (unban.number, unban.action) == (4, CaseAction.UNBAN)


async def test_the_bots_own_actions_are_not_recorded_twice(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await answer(owner, general, app, "rule", {"kind": "invites", "actions": "ban"})
        await alice.send(general, "join discord.gg/raiders")
        ban = await feed.next()
        assert (ban.number, ban.action, ban.moderator_id) == (1, CaseAction.BAN, app.bot_user.id)
        entry = guild.audit_log[-1]
        assert (entry.action_type, entry.user_id) == (AuditLogEvent.MEMBER_BAN_ADD, app.bot_user.id)
        assert entry.reason is not None and "Automod (invites)" in entry.reason

        await guild.kick(bob, reason="by hand")
        kick = await feed.next()  # the next case is the kick: the bot's ban made no second case
        assert (kick.number, kick.action, kick.moderator_id) == (2, CaseAction.KICK, owner.id)


async def test_the_audit_log_is_served_with_its_filters(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    async with stage.running(settings) as bot:
        await guild.ban(alice, reason="first")
        await guild.kick(bob)
        await guild.unban(alice)
        served = bot.get_guild(guild.id)
        assert served is not None
        newest_first = [entry async for entry in served.audit_logs(limit=10)]
        assert [entry.action for entry in newest_first] == [
            discord.AuditLogAction.unban,
            discord.AuditLogAction.kick,
            discord.AuditLogAction.ban,
        ]
        bans = [entry async for entry in served.audit_logs(action=discord.AuditLogAction.ban)]
        assert [(entry.reason, entry.user_id) for entry in bans] == [("first", owner.id)]
        oldest = [entry async for entry in served.audit_logs(limit=2, oldest_first=True)]
        assert [entry.action for entry in oldest] == [
            discord.AuditLogAction.ban,
            discord.AuditLogAction.kick,
        ]
        by_someone_else = [entry async for entry in served.audit_logs(user=discord.Object(1))]
        assert by_someone_else == []


async def test_a_bot_without_view_audit_log_hears_nothing_and_is_refused(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await guild.ban(alice)
        served = bot.get_guild(guild.id)
        assert served is not None
        with pytest.raises(discord.Forbidden) as refused:
            [entry async for entry in served.audit_logs()]
        assert refused.value.code == 50013
        assert feed.empty()
