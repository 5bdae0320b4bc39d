"""Tempbans, softbans, restarts and moderators acting at once, end to end through the stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from mod_commands_helpers import ModGuild, answer_of, audited, wait_for
from sqlalchemy import select, update

from botfleet.config.schema import SchedulerSection, Settings
from botfleet.database import Database
from botfleet.database.models.mod import ModBan, ModWarning
from botfleet.database.models.timer import Timer
from botfleet.sandbox import Application, DiscordSandbox, Permission
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.pytest_plugin import FleetBotStage

POLL_SECONDS = 0.05
POLL_ROUNDS = 200


def banned_ids(world: ModGuild) -> set[int]:
    return {ban.user.id for ban in world.guild.bans}


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll a condition the stand-in does not announce (a database row), for 10 s at most."""
    for _ in range(POLL_ROUNDS):
        if await check():
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError("the condition never held")


async def test_a_tempban_ends_on_time_but_never_undoes_a_later_ban(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    # Alice's tempban is long enough for the ban to follow it on a loaded machine (a ban
    # landing after the tempban ended would rightly follow an unban); bob's ends first.
    loop = asyncio.get_running_loop()
    async with stage.running(settings):
        first = await world.ask(
            world.moderator,
            "tempban",
            {"user": world.alice.user, "duration": "3s", "reason": "cool off"},
        )
        alice_due = loop.time() + 3
        assert "Banned **alice** until" in first.content, first.content
        assert "(case #1)" in first.content
        assert "banned for a while" in world.alice.dm_with(app).messages()[-1].content
        await world.ask(world.moderator, "ban", {"user": world.alice.user, "reason": "no"})
        await world.ask(
            world.moderator,
            "tempban",
            {"user": world.bob.user, "duration": "1s"},
        )
        assert banned_ids(world) == {world.alice.id, world.bob.id}

        await wait_for(
            discord_sandbox, lambda: world.bob.id not in banned_ids(world), "bob unbanned"
        )
        await asyncio.sleep(max(0.0, alice_due + 1 - loop.time()))  # past the tempban's end
        assert world.alice.id in banned_ids(world)
        [lifted] = audited(discord_sandbox, "DELETE", f"/bans/{world.bob.id}")
        assert "case #4: Tempban of case #3 ended" in lifted.reason
        assert audited(discord_sandbox, "DELETE", f"/bans/{world.alice.id}") == []


async def test_a_softban_deletes_recent_messages_and_leaves_no_ban(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    spam = await world.alice.send(world.general, "buy now")
    async with stage.running(settings):
        softbanned = await world.ask(
            world.moderator, "softban", {"member": world.alice, "reason": "ads"}
        )
        assert "Softbanned **alice** (case #1)" in softbanned.content, softbanned.content
    assert spam.deleted
    assert world.alice.id not in world.guild.guild.members
    assert world.guild.bans == []
    [ban] = audited(discord_sandbox, "PUT", f"/bans/{world.alice.id}")
    assert ban.reason == "mia, case #1: ads"


async def test_a_restart_keeps_tempbans_and_warning_expiries(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        await world.ask(
            world.moderator,
            "tempban",
            {"user": world.bob.user, "duration": "1s"},
        )
        warned = await world.ask(world.moderator, "warn", {"member": world.alice, "reason": "loud"})
        assert "1 active" in warned.content
    assert world.bob.id in banned_ids(world)

    database = Database(settings.database.url.get_secret_value())
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with database.session() as session:
        await session.execute(update(ModWarning).values(expires_at=past))
        await session.execute(
            update(Timer).where(Timer.event == "mod_warning_expiry").values(expires_at=past)
        )
        await session.commit()

    async def expiry_fired() -> bool:
        async with database.session() as session:
            timers = await session.scalars(select(Timer).where(Timer.event == "mod_warning_expiry"))
            return timers.first() is None

    try:
        async with stage.running(settings):
            await wait_for(
                discord_sandbox, lambda: world.bob.id not in banned_ids(world), "bob unbanned"
            )
            await eventually(expiry_fired)
            standing = await world.ask(world.moderator, "warnings", {"user": world.alice})
            assert "expired" in standing.embeds[0]["description"]
            assert "0 active point(s) of 1 warning(s)" in standing.embeds[0]["footer"]["text"]
    finally:
        await database.dispose()


async def test_two_moderators_acting_at_once_get_numbers_without_gaps(
    stage: FleetBotStage, app: Application, settings: Settings, world: ModGuild
) -> None:
    async with stage.running(settings):
        handles = await asyncio.gather(
            world.moderator.run_command(
                world.general, app, "warn", {"member": world.alice, "reason": "one"}
            ),
            world.second_moderator.run_command(
                world.general, app, "kick", {"member": world.bob, "reason": "two"}
            ),
            world.moderator.run_command(
                world.general, app, "timeout", {"member": world.alice, "duration": "5m"}
            ),
        )
        answers = [await answer_of(handle) for handle in handles]
        numbers = sorted(
            int(text.split("(case #")[1].split(")")[0]) for text in (a.content for a in answers)
        )
        assert numbers == [1, 2, 3], [a.content for a in answers]


async def test_an_unban_discord_refuses_is_tried_again_and_one_lifted_by_hand_is_let_go(
    stage: FleetBotStage, app: Application, world: ModGuild
) -> None:
    settings = fleet_test_settings(
        "mod",
        stage.directory,
        options={},
        scheduler=SchedulerSection(memory_threshold=0, max_sleep=0.5),
    )
    database = Database(settings.database.url.get_secret_value())

    async def unban_timers() -> list[Timer]:
        async with database.session() as session:
            rows = await session.scalars(select(Timer).where(Timer.event == "mod_unban"))
            return list(rows)

    async def retry_scheduled() -> bool:
        return [timer.payload["attempt"] for timer in await unban_timers()] == [1]

    async def bans_forgotten() -> bool:
        async with database.session() as session:
            return (await session.scalars(select(ModBan))).first() is None

    try:
        async with stage.running(settings):
            await world.ask(
                world.moderator,
                "tempban",
                {"user": world.alice.user, "duration": "1s"},
            )
            await world.guild.unban(world.alice)
            await eventually(bans_forgotten)
            assert await unban_timers() == []

            await world.ask(
                world.moderator,
                "tempban",
                {"user": world.bob.user, "duration": "1s"},
            )
            bot_role = next(
                role for role in world.guild.guild.roles.values() if role.bot_id == app.bot_user.id
            )
            bot_role.permissions &= ~int(Permission.BAN_MEMBERS)
            await eventually(retry_scheduled)
            assert world.bob.id in banned_ids(world)
    finally:
        await database.dispose()
