"""Sanctions end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from mod_commands_helpers import MODERATOR_PERMISSIONS, ModGuild, answer, audited

from botfleet.config.schema import Settings
from botfleet.sandbox import Application, DiscordSandbox, Permission, SandboxScriptError
from botfleet.sandbox.pytest_plugin import FleetBotStage


async def test_a_kick_is_a_case_with_its_audit_reason_and_a_dm_first(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        kicked = await world.ask(world.moderator, "kick", {"member": world.alice, "reason": "spam"})
        assert "Kicked **alice** (case #1)" in kicked.content, kicked.content
        assert world.alice.id not in world.guild.guild.members
        [request] = audited(discord_sandbox, "DELETE", f"/members/{world.alice.id}")
        assert request.reason == "mia, case #1: spam"
        dm = world.alice.dm_with(app).messages()
        assert "You were kicked from **Moderated**" in dm[-1].content
        assert "Reason: spam" in dm[-1].content


async def test_ban_and_unban_by_id_reach_users_outside_the_server(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    stranger = world.guild.add_member("carol")
    await world.guild.remove_member(stranger)
    async with stage.running(settings):
        banned = await world.ask(world.moderator, "ban", {"user": stranger.user, "reason": "raid"})
        assert "Banned **carol** (case #1)" in banned.content, banned.content
        assert [ban.user.id for ban in world.guild.bans] == [stranger.id]
        [request] = audited(discord_sandbox, "PUT", f"/bans/{stranger.id}")
        assert request.reason == "mia, case #1: raid"

        unbanned = await world.ask(world.moderator, "unban", {"user_id": str(stranger.id)})
        assert "Unbanned **carol** (case #2)" in unbanned.content, unbanned.content
        assert world.guild.bans == []
        [lifted] = audited(discord_sandbox, "DELETE", f"/bans/{stranger.id}")
        assert lifted.reason == "mia, case #2: no reason given"

        again = await world.ask(world.moderator, "unban", {"user_id": str(stranger.id)})
        assert again.ephemeral and "is not banned here" in again.content
        nobody = await world.ask(world.moderator, "unban", {"user_id": "123456789012345678"})
        assert nobody.ephemeral and "No Discord user has the id" in nobody.content
        garbage = await world.ask(world.moderator, "unban", {"user_id": "bob"})
        assert garbage.ephemeral and "is not a user id" in garbage.content


async def test_a_member_with_closed_dms_is_still_actioned_and_the_moderator_told(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        timed_out = await world.ask(
            world.moderator,
            "timeout",
            {"member": world.bob, "duration": "1h", "reason": "heated"},
        )
        assert "Timed out **bob**" in timed_out.content, timed_out.content
        assert "couldn't DM them first" in timed_out.content
        assert world.bob.timed_out
        [request] = audited(discord_sandbox, "PATCH", f"/members/{world.bob.id}")
        assert request.reason == "mia, case #1: heated"

        ended = await world.ask(world.moderator, "untimeout", {"member": world.bob})
        assert "Ended the timeout of **bob** (case #2)" in ended.content, ended.content
        assert not world.bob.timed_out
        not_now = await world.ask(world.moderator, "untimeout", {"member": world.bob})
        assert not_now.ephemeral and "is not timed out" in not_now.content


async def test_a_timeout_past_28_days_and_a_reason_past_512_are_refused(
    stage: FleetBotStage, app: Application, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings):
        too_long = await world.ask(
            world.moderator,
            "timeout",
            {"member": world.alice, "duration": "29d"},
        )
        assert too_long.ephemeral and "28 days at most" in too_long.content
        unreadable = await world.ask(
            world.moderator,
            "timeout",
            {"member": world.alice, "duration": "soon"},
        )
        assert unreadable.ephemeral and "duration" in unreadable.content
        with pytest.raises(SandboxScriptError, match=r"takes 1\.\.512 characters, got 513"):
            await world.moderator.run_command(
                world.general,
                app,
                "timeout",
                {"member": world.alice, "duration": "1h", "reason": "x" * 513},
            )
        assert not world.alice.timed_out


async def test_refusals_explain_themselves_and_leave_no_case(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        not_a_moderator = await world.ask(world.alice, "kick", {"member": world.bob})
        assert not_a_moderator.ephemeral and "moderators" in not_a_moderator.content
        above_me = await world.ask(world.moderator, "ban", {"user": world.admin.user})
        assert above_me.ephemeral and "level with or above yours" in above_me.content
        owner = await world.ask(world.admin, "kick", {"member": world.guild.owner})
        assert owner.ephemeral and "owns this server" in owner.content
        itself = await world.ask(world.moderator, "kick", {"member": world.moderator})
        assert itself.ephemeral and "can't kick yourself" in itself.content
        peer = await world.ask(world.moderator, "kick", {"member": world.second_moderator})
        assert peer.ephemeral and "level with or above yours" in peer.content
        bot = await world.ask(
            world.admin,
            "warn",
            {"member": app.bot_user, "reason": "x"},
        )
        assert bot.ephemeral and "won't warn myself" in bot.content
        assert world.alice.id in world.guild.guild.members
        assert discord_sandbox.audited_requests == []
        first = await world.ask(world.moderator, "kick", {"member": world.alice})
        assert "(case #1)" in first.content, first.content


async def test_protected_roles_only_yield_to_the_owner(
    stage: FleetBotStage,
    app: Application,
    make_settings: Any,
    world: ModGuild,
) -> None:
    vip = world.guild.add_role("VIP", position=1)
    await world.guild.give_role(world.alice, vip)
    async with stage.running(make_settings(protected_role_ids=[vip.id])):
        refused = await world.ask(world.moderator, "kick", {"member": world.alice})
        assert refused.ephemeral and "protected role" in refused.content
        kicked = await world.ask(world.guild.owner, "kick", {"member": world.alice})
        assert "Kicked **alice**" in kicked.content, kicked.content


async def test_a_bot_without_the_permission_says_so(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, app: Application, settings: Settings
) -> None:
    guild = discord_sandbox.create_guild("Bare")
    guild.add_bot(app)
    moderator = guild.add_member("mia", permissions=MODERATOR_PERMISSIONS)
    target = guild.add_member("alice")
    async with stage.running(settings):
        refused = await answer(
            moderator, guild.channel("general"), app, "ban", {"user": target.user}
        )
        assert refused.ephemeral and "my role lacks **Ban Members**" in refused.content


async def test_an_action_discord_refuses_after_the_checks_leaves_no_case(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        bot_role = next(
            role for role in world.guild.guild.roles.values() if role.bot_id == app.bot_user.id
        )
        bot_role.permissions &= ~int(Permission.BAN_MEMBERS)
        refused = await world.ask(world.moderator, "ban", {"user": world.alice.user})
        # Discord refused after the checks passed: the answer says so where the action would
        # have been announced.
        assert "Nothing was recorded" in refused.content, refused.content
        assert world.guild.bans == []
        missing = await world.ask(world.moderator, "case", {"number": 1})
        assert "There is no case #1" in missing.content
        kicked = await world.ask(world.moderator, "kick", {"member": world.bob})
        assert "(case #1)" in kicked.content, kicked.content
