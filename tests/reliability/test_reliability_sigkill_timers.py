"""Bot processes killed with SIGKILL while a timer of theirs is pending, then started again.

A Utility Bot killed after accepting a reminder and started after it fell due delivers it once;
a Mod Bot killed after a tempban and started before it ends lifts the ban when it ends, not
before, and once. Each bot runs as a real process on the stand-in, its SQLite file in the
test's folder, so nothing but what it stored survives the kill.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import discord
from reliability_helpers import PROCESS_WAIT, BotProcess

from botfleet.bots.mod.bot import mod_permissions
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionHandle,
    Message,
    SandboxChannel,
)
from botfleet.sandbox.fleet import bot_process_environment
from botfleet.sandbox.scripting import wait_until

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
DELIVERED = "you asked me to remind you"
DUE_SECONDS = 3


def bot_process(bot: str, sandbox: DiscordSandbox, app: Application, directory: Path) -> BotProcess:
    token = {f"{bot.upper()}_DISCORD_TOKEN": app.token}
    environment = bot_process_environment(sandbox.url, directory, REPO_CONFIG, token)
    return BotProcess(bot, environment, directory)


async def answered(handle: InteractionHandle) -> Message:
    return await handle.wait_for_message(timeout=PROCESS_WAIT)


async def test_a_reminder_due_while_its_bot_was_killed_is_delivered_once_after_restart(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Utility Bot")
    guild = discord_sandbox.create_guild("Reminded Club", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    bot = bot_process("utility", discord_sandbox, app, tmp_path)
    try:
        await bot.start()
        when = {"when": f"in {DUE_SECONDS}s", "what": "tea is ready"}
        accepted = await answered(await alice.run_command(general, app, "remind", when))
        assert "Reminder #1" in accepted.content, accepted.content
        assert await bot.kill() == -signal.SIGKILL
        await asyncio.sleep(DUE_SECONDS)  # the reminder falls due while no process runs
        await bot.start()
        delivered = await general.wait_for_message(
            author=app, check=lambda message: DELIVERED in message.content, timeout=PROCESS_WAIT
        )
        pending = await answered(
            await alice.run_command(general, app, "reminders", subcommand="list")
        )
    finally:
        await bot.kill()

    assert "tea is ready" in delivered.content
    assert [m for m in general.messages() if DELIVERED in m.content] == [delivered]
    assert "#1" not in pending.content, pending.content
    assert "Traceback" not in "".join(bot.output)


async def test_a_tempban_survives_a_killed_bot_and_ends_on_time_once(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Mod Bot")
    guild = discord_sandbox.create_guild("Tempbanned Club")
    moderators = guild.add_role("Moderators", permissions=discord.Permissions(ban_members=True))
    guild.add_bot(app, permissions=mod_permissions())
    mia = guild.add_member("mia", roles=[moderators])
    bob = guild.add_member("bob")
    general: SandboxChannel = guild.channel("general")
    bot = bot_process("mod", discord_sandbox, app, tmp_path)

    def banned_ids() -> set[int]:
        return {ban.user.id for ban in guild.bans}

    try:
        await bot.start()
        loop = asyncio.get_running_loop()
        tempban = {"user": bob.user, "duration": f"{DUE_SECONDS}s", "reason": "cool off"}
        banned_at = loop.time()
        told = await answered(await mia.run_command(general, app, "tempban", tempban))
        assert "Banned **bob** until" in told.content, told.content
        assert await bot.kill() == -signal.SIGKILL
        await bot.start()
        still_banned = bob.id in banned_ids()
        await wait_until(
            discord_sandbox,
            lambda: bob.id not in banned_ids() or None,
            timeout=PROCESS_WAIT,
            describe_failure=lambda: "waiting for the tempban of bob to end",
        )
        lifted_after = loop.time() - banned_at
    finally:
        await bot.kill()

    lifts = [
        request
        for request in discord_sandbox.audited_requests
        if request.method == "DELETE" and f"/bans/{bob.id}" in request.path
    ]
    assert still_banned
    assert lifted_after >= DUE_SECONDS
    assert len(lifts) == 1, lifts
    assert "Tempban of case #1 ended" in str(lifts[0].reason)
    assert "Traceback" not in "".join(bot.output)


async def test_a_timed_lockdown_survives_a_killed_bot_and_ends_on_time(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Mod Bot")
    guild = discord_sandbox.create_guild("Locked Club")
    guild.add_bot(app, permissions=mod_permissions())
    owner = guild.owner
    general: SandboxChannel = guild.channel("general")
    everyone = guild.id
    bot = bot_process("mod", discord_sandbox, app, tmp_path)
    try:
        await bot.start()
        loop = asyncio.get_running_loop()
        added = await answered(
            await owner.run_command(
                general, app, "modset", {"channel": general}, subcommand="lockdown-add"
            )
        )
        assert general.mention in added.content, added.content
        started_at = loop.time()
        started = await answered(
            await owner.run_command(
                general, app, "lockdown", {"duration": f"{DUE_SECONDS}s"}, subcommand="start"
            )
        )
        assert "Lockdown until" in started.content, started.content
        assert await bot.kill() == -signal.SIGKILL
        await bot.start()
        still_locked = everyone in general.overwrites
        await wait_until(
            discord_sandbox,
            lambda: everyone not in general.overwrites or None,
            timeout=PROCESS_WAIT,
            describe_failure=lambda: "waiting for the lockdown to end by itself",
        )
        ended_after = loop.time() - started_at
    finally:
        await bot.kill()
    assert still_locked
    assert ended_after >= DUE_SECONDS
    assert "Traceback" not in "".join(bot.output)
