"""Purge, slowmode, locks and lockdowns end to end, through the local Discord stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mod_commands_helpers import ModGuild, audited, wait_for

from botfleet.config.schema import Settings
from botfleet.sandbox import Application, DiscordSandbox, SandboxFile, SandboxScriptError
from botfleet.sandbox.pytest_plugin import FleetBotStage


async def test_purge_deletes_what_its_filters_match_and_reports_old_messages(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    old = world.alice.post_history(
        world.general,
        "ancient spam 9 https://x.test",
        sent_at=datetime.now(UTC) - timedelta(days=20),
    )
    spam = [await world.alice.send(world.general, f"spam {n} https://x.test") for n in range(3)]
    kept = await world.bob.send(world.general, "spam from bob")
    picture = await world.bob.send(world.general, "look", files=[SandboxFile("a.png", b"png")])
    async with stage.running(settings):
        refused = await world.ask(world.alice, "purge", {"amount": 5})
        assert refused.ephemeral and "moderators" in refused.content
        bad = await world.ask(world.moderator, "purge", {"amount": 5, "regex": "("})
        assert bad.ephemeral and "not a valid regular expression" in bad.content
        slow = await world.ask(world.moderator, "purge", {"amount": 5, "regex": "(a+)+$"})
        assert slow.ephemeral and "backtracks catastrophically" in slow.content

        handle = await world.moderator.run_command(
            world.general,
            app,
            "purge",
            {"amount": 10, "member": world.alice.user, "regex": r"spam \d", "links": True},
        )
        report = await handle.wait_for_message()
        assert report.ephemeral and "Deleted 3 message(s)" in report.content, report.content
        assert "1 matching message(s) are older than 14 days" in report.content
        assert all(message.deleted for message in spam)
        assert not old.deleted and not kept.deleted
        [bulk] = audited(discord_sandbox, "POST", "/messages/bulk-delete")
        assert bulk.reason == "mia: purge in #general"

        handle = await world.moderator.run_command(
            world.general, app, "purge", {"amount": 10, "files": True}
        )
        assert "Deleted 1 message(s)" in (await handle.wait_for_message()).content
        assert picture.deleted

        handle = await world.moderator.run_command(
            world.general, app, "purge", {"amount": 10, "contains": "ANCIENT", "older": True}
        )
        assert "Deleted 1 message(s)" in (await handle.wait_for_message()).content
        assert old.deleted and not kept.deleted
        [single] = audited(discord_sandbox, "DELETE", f"/messages/{old.id}")
        assert single.reason == "mia: purge in #general"


async def test_slowmode_sets_the_channel_within_discords_bounds(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings) as bot:
        set_ = await world.ask(world.moderator, "slowmode", {"delay": "30s", "reason": "calm"})
        assert "one message every 30 s" in set_.content, set_.content
        assert world.general.channel.rate_limit_per_user == 30
        await wait_for(
            discord_sandbox,
            lambda: bot.get_channel(world.general.id).slowmode_delay == 30,  # type: ignore[union-attr]
            "the bot's cache to hear CHANNEL_UPDATE",
        )
        [request] = audited(discord_sandbox, "PATCH", f"/channels/{world.general.id}")
        assert request.reason == "mia: calm"
        too_long = await world.ask(world.moderator, "slowmode", {"delay": "7h"})
        assert too_long.ephemeral and "6 hours at most" in too_long.content
        off = await world.ask(world.moderator, "slowmode", {"delay": "off"})
        assert "Slowmode is off" in off.content
        assert world.general.channel.rate_limit_per_user == 0


async def test_lock_and_unlock_set_the_everyone_overwrite(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    everyone = world.guild.id
    async with stage.running(settings):
        locked = await world.ask(world.moderator, "lock", {"reason": "raid in progress"})
        assert "is locked. Reason: raid in progress" in locked.content, locked.content
        assert world.general.overwrites[everyone].deny != 0
        with pytest.raises(SandboxScriptError):
            await world.alice.send(world.general, "hello?")
        [request] = audited(discord_sandbox, "PUT", f"/permissions/{everyone}")
        assert request.reason == "mia: raid in progress"
        again = await world.ask(world.moderator, "lock")
        assert again.ephemeral and "locked already" in again.content

        unlocked = await world.ask(world.moderator, "unlock")
        assert "open again" in unlocked.content, unlocked.content
        assert everyone not in world.general.overwrites
        await world.alice.send(world.general, "hello!")


async def test_a_lockdown_locks_the_configured_channels_and_ends_on_time(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    everyone = world.guild.id
    announcements = world.guild.add_text_channel("announcements")
    async with stage.running(settings):
        unset = await world.ask(world.moderator, "lockdown", subcommand="start")
        assert unset.ephemeral and "No lockdown channels are set" in unset.content
        for channel in (world.general, announcements):
            added = await world.ask(
                world.admin,
                "modset",
                {"channel": channel},
                subcommand="lockdown-add",
            )
            assert channel.mention in added.content, added.content
        twice = await world.ask(
            world.admin,
            "modset",
            {"channel": announcements},
            subcommand="lockdown-add",
        )
        assert twice.ephemeral and "already" in twice.content

        started = await world.ask(world.moderator, "lockdown", subcommand="start")
        assert "2 channel(s) locked" in started.content, started.content
        assert everyone in world.general.overwrites and everyone in announcements.overwrites
        ended = await world.ask(world.moderator, "lockdown", subcommand="end")
        assert "2 channel(s) open again" in ended.content, ended.content
        assert everyone not in world.general.overwrites

        removed = await world.ask(
            world.admin,
            "modset",
            {"channel": announcements},
            subcommand="lockdown-remove",
        )
        assert "A lockdown locks: <#" in removed.content and announcements.mention not in (
            removed.content
        )
        shown = await world.ask(world.moderator, "modset", subcommand="show")
        assert f"Lockdown channels: {world.general.mention}" in shown.content
        assert "Modlog: off" in shown.content
        not_admin = await world.ask(
            world.moderator,
            "modset",
            {"channel": world.general},
            subcommand="lockdown-remove",
        )
        assert not_admin.ephemeral and "for admins" in not_admin.content
        await world.ask(
            world.admin,
            "modset",
            {"channel": announcements},
            subcommand="lockdown-add",
        )

        timed = await world.ask(world.moderator, "lockdown", {"duration": "1s"}, subcommand="start")
        assert "Lockdown until" in timed.content, timed.content
        await wait_for(
            discord_sandbox,
            lambda: (
                everyone not in world.general.overwrites
                and everyone not in announcements.overwrites
            ),
            "the lockdown to end by itself",
        )


async def test_a_lockdown_slower_than_discords_deadline_is_still_answered(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        added = await world.ask(
            world.admin, "modset", {"channel": world.general}, subcommand="lockdown-add"
        )
        assert world.general.mention in added.content, added.content
        # Discord holds each channel's edit back past the 3 s a first answer may take.
        overwrites = "/channels/{channel_id}/permissions/{target_id}"
        for method in ("PUT", "DELETE"):
            discord_sandbox.force_rate_limit(f"{method} {overwrites}", retry_after=3.5)
        started = await world.ask(world.moderator, "lockdown", subcommand="start")
        assert "1 channel(s) locked" in started.content, started.content
        ended = await world.ask(world.moderator, "lockdown", subcommand="end")
        assert "1 channel(s) open again" in ended.content, ended.content
        assert world.guild.id not in world.general.overwrites
