"""The Utility Bot end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from discord.utils import utcnow
from sqlalchemy import delete, select
from utility_helpers import answer

from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.database.models.timer import Timer
from botfleet.database.models.utility import Reminder
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.pytest_plugin import FleetBotStage
from warm_commands import statements_answering

DELIVERED = "you asked me to remind you"


async def delivery(channel: SandboxChannel, app: Application) -> Message:
    """The next reminder the bot delivers in ``channel`` (its answers to commands skipped)."""
    return await channel.wait_for_message(
        author=app, check=lambda message: DELIVERED in message.content, timeout=10
    )


def mentions_only(message: Message, member: SandboxMember) -> bool:
    return message.mention_user_ids == [member.id] and not message.mention_everyone


async def test_a_reminder_is_delivered_in_its_channel_with_a_link_back(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await answer(
            alice, general, app, "remind", {"when": "in 1s", "what": "tea is ready @everyone"}
        )
        assert not response.ephemeral
        assert "Reminder #1" in response.content and "tea is ready" in response.content
        delivered = await delivery(general, app)
        assert DELIVERED in delivered.content and "tea is ready" in delivered.content
        assert f"<@{alice.id}>" in delivered.content
        assert mentions_only(delivered, alice)  # "@everyone" in the text pings no one
        assert response.message is not None
        assert f"/{general.id}/{response.message.id})" in delivered.content


async def test_a_dm_reminder_is_private_and_arrives_by_direct_message(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await answer(
            alice, general, app, "remind", {"when": "in 1s", "what": "secret plan", "dm": True}
        )
        assert response.ephemeral
        delivered = await delivery(alice.dm_with(app), app)
        assert "secret plan" in delivered.content
        assert not [m for m in general.messages() if "secret plan" in m.content]


async def test_a_closed_dm_falls_back_to_the_channel(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    shy = guild.add_member("shy", accepts_dms=False)
    async with stage.running(settings):
        await answer(shy, general, app, "remind", {"when": "in 1s", "what": "water", "dm": True})
        delivered = await delivery(general, app)
        assert "water" in delivered.content and mentions_only(delivered, shy)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("yesterday", "couldn't read “yesterday”"),
        ("2020-01-01", "has already passed"),
        ("in 5", "needs a unit"),
    ],
)
async def test_bad_times_get_an_ephemeral_answer_and_store_nothing(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
    when: str,
    message: str,
) -> None:
    async with stage.running(settings) as bot:
        response = await answer(alice, general, app, "remind", {"when": when, "what": "x"})
        assert response.ephemeral and message in response.content
        async with bot.database.session() as session:
            assert (await session.scalars(select(Reminder))).all() == []


async def test_members_list_edit_and_delete_only_their_own(
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
        await answer(alice, general, app, "remind", {"when": "in 2h", "what": "first"})
        await answer(
            alice,
            general,
            app,
            "remind",
            {"when": "tomorrow 9am", "what": "second", "repeat": "daily"},
        )
        listing = await answer(alice, general, app, "reminders", subcommand="list")
        assert listing.ephemeral
        text = listing.embeds[0]["description"]
        assert "**#1**" in text and "**#2**" in text and "repeats daily" in text

        handle = await bob.autocomplete(
            general, app, "reminders", {"reminder": ""}, focused="reminder", subcommand="delete"
        )
        assert await handle.wait_for_choices() == []
        theirs = await answer(bob, general, app, "reminders", {"reminder": 1}, subcommand="delete")
        assert theirs.ephemeral and "You have no reminder #1" in theirs.content

        handle = await alice.autocomplete(
            general, app, "reminders", {"reminder": "sec"}, focused="reminder", subcommand="edit"
        )
        assert [choice["value"] for choice in await handle.wait_for_choices()] == [2]
        edited = await answer(
            alice,
            general,
            app,
            "reminders",
            {"reminder": 2, "what": "second, edited", "repeat": "never"},
            subcommand="edit",
        )
        assert "second, edited" in edited.content and "then daily" not in edited.content

        assert listing.message is not None
        menu = await alice.select(
            listing.message, listing.components[0]["components"][0]["custom_id"], ["1"]
        )
        redrawn = await menu.wait_for_response()
        assert "Deleted reminder #1" in redrawn.content
        remaining = await answer(alice, general, app, "reminders", subcommand="list")
        assert "**#1**" not in remaining.embeds[0]["description"]
        assert "second, edited" in remaining.embeds[0]["description"]


async def test_time_zones_are_set_with_autocomplete_and_used_for_reminders(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        handle = await alice.autocomplete(
            general, app, "timezone", {"zone": "new y"}, focused="zone", subcommand="set"
        )
        choices = await handle.wait_for_choices()
        assert choices[0]["value"] == "America/New_York"
        typo = await answer(alice, general, app, "timezone", {"zone": "Pariss"}, subcommand="set")
        assert typo.ephemeral and "Did you mean Europe/Paris" in typo.content
        done = await answer(alice, general, app, "timezone", {"zone": "new york"}, subcommand="set")
        assert "America/New_York" in done.content
        shown = await answer(alice, general, app, "timezone", subcommand="show")
        assert "America/New_York" in shown.content
        response = await answer(alice, general, app, "remind", {"when": "9am", "what": "standup"})
        assert "America/New_York" in response.content
        async with bot.database.session() as session:
            reminder = (await session.scalars(select(Reminder))).one()
        local = reminder.due_at.astimezone(ZoneInfo("America/New_York"))
        assert (local.hour, local.minute) == (9, 0)


async def wait_for_no_reminders(bot: FleetBot) -> None:
    async with asyncio.timeout(10):
        while True:
            async with bot.database.session() as session:
                if not (await session.scalars(select(Reminder))).all():
                    return
            await asyncio.sleep(0.05)


async def test_reminders_survive_a_restart_and_fire_once(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        await answer(alice, general, app, "remind", {"when": "in 2s", "what": "after restart"})
    # The bot was stopped cleanly: its in-memory alarm was written to the database.
    await asyncio.sleep(2.2)
    assert not [m for m in general.messages() if DELIVERED in m.content]
    async with stage.running(settings) as bot:
        delivered = await delivery(general, app)
        assert "after restart" in delivered.content
        await wait_for_no_reminders(bot)
        await asyncio.sleep(0.3)
    assert len([m for m in general.messages() if DELIVERED in m.content]) == 1


async def test_a_reminder_whose_alarm_was_lost_in_a_crash_is_still_delivered(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await answer(alice, general, app, "remind", {"when": "in 1h", "what": "lost alarm"})
        async with bot.database.session() as session:
            reminder = (await session.scalars(select(Reminder))).one()
            reminder.due_at = utcnow()
            await session.execute(delete(Timer))  # as if a crash ate the claimed timer
            await session.commit()
    async with stage.running(settings):
        delivered = await delivery(general, app)
        assert "lost alarm" in delivered.content


async def test_fleet_status_shows_this_bot_online_and_the_others_never_started(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await bot.heartbeat.beat()  # the first one may still be on its way
        response = await answer(alice, general, app, "fleet", subcommand="status")
        embed = response.embeds[0]
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert "online" in fields["Utility Bot"] and "v" in fields["Utility Bot"]
        assert "never started" in fields["Music Bot"]
        assert embed["description"] == "1 of 6 bots online."


async def test_information_commands(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    helpers = guild.add_role("Helpers", permissions=8192, color=0x2ECC71)  # manage messages
    bob = guild.add_member("bob", roles=[helpers])
    async with stage.running(settings):
        user = await answer(alice, general, app, "userinfo", {"member": bob})
        text = str(user.embeds[0])
        assert "bob" in text and "Joined this server" in text and f"<@&{helpers.id}>" in text

        server = await answer(alice, general, app, "serverinfo")
        fields = {field["name"]: field["value"] for field in server.embeds[0]["fields"]}
        assert server.embeds[0]["title"] == "Language Club"
        assert fields["Members"] == str(len(guild.guild.members))

        role = await answer(alice, general, app, "roleinfo", {"role": helpers})
        fields = {field["name"]: field["value"] for field in role.embeds[0]["fields"]}
        assert fields["Members"] == "1" and "Manage Messages" in fields["Key permissions"]

        avatar = await answer(alice, general, app, "avatar")
        assert "PNG" in avatar.embeds[0]["description"]
        assert avatar.embeds[0]["image"]["url"].startswith("https://")

        info = await answer(alice, general, app, "botinfo")
        fields = {field["name"]: field["value"] for field in info.embeds[0]["fields"]}
        assert fields["Memory"].endswith("MiB") and fields["Shard"] == "1 of 1"
        assert {"Version", "Uptime", "Latency", "Servers", "Runtime"} <= fields.keys()
        assert info.embeds[0]["footer"]["text"] == "Part of botfleet"  # /about's card, and more


async def test_a_warm_serverinfo_sends_no_sql_statement(
    stage: FleetBotStage,
    app: Application,
    alice: SandboxMember,
    general: SandboxChannel,
    backend_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From the member's command to the answer (checks, rate limit, XP, the embed), on SQLite
    with the memory cache and on PostgreSQL with Redis: the server's facts come from the
    gateway's cache, the rest from the bot's."""
    async with stage.running(backend_settings) as bot:
        await answer(alice, general, app, "serverinfo")
        with statements_answering(bot.database, monkeypatch) as sent:
            shown = [await answer(alice, general, app, "serverinfo") for _ in range(3)]
        assert sent == []
        assert all(server.embeds[0]["title"] == "Language Club" for server in shown)


async def test_reminder_options_declare_the_limits_the_service_checks(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    alice: SandboxMember,
    general: SandboxChannel,
    tmp_path: Path,
) -> None:
    settings = fleet_test_settings("utility", tmp_path, options={"max_reminder_length": 30})
    async with stage.running(settings):
        for command, options, subcommand in (
            ("remind", {"when": "in 1h", "what": "w" * 31}, None),
            ("reminders", {"reminder": 1, "what": "w" * 31}, "edit"),
        ):
            with pytest.raises(SandboxScriptError, match=r"1\.\.30 characters, got 31"):
                await alice.run_command(general, app, command, options, subcommand=subcommand)
        with pytest.raises(SandboxScriptError, match=r"1\.\.60 characters"):
            await alice.run_command(general, app, "remind", {"when": "x" * 61, "what": "tea"})
        accepted = await answer(alice, general, app, "remind", {"when": "in 1h", "what": "w" * 30})
        assert "Reminder #1" in accepted.content
