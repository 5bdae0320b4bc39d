"""A ban the Mod Bot records is told to the fleet: a MemberBanned event on its bus, after the
case is stored; other cases are not."""

from __future__ import annotations

from mod_commands_helpers import ModGuild

from botfleet.config.schema import Settings
from botfleet.events_bus import MemberBanned
from botfleet.sandbox.pytest_plugin import FleetBotStage


async def test_a_ban_is_published_once_stored_and_a_kick_is_not(
    stage: FleetBotStage, settings: Settings, world: ModGuild
) -> None:
    heard: list[MemberBanned] = []

    async def another_bot(event: MemberBanned) -> None:
        heard.append(event)

    async with stage.running(settings) as bot:
        bot.bus.subscribe(MemberBanned, another_bot, consumer="utility", name="heard")
        kicked = await world.ask(world.moderator, "kick", {"member": world.bob, "reason": "noise"})
        assert "(case #1)" in kicked.content, kicked.content
        banned = await world.ask(world.moderator, "ban", {"user": world.alice, "reason": "spam"})
        assert "(case #2)" in banned.content, banned.content
    [event] = heard
    assert (event.guild_id, event.user_id) == (world.guild.guild.id, world.alice.id)
    assert (event.moderator_id, event.reason, event.source_bot) == (
        world.moderator.id,
        "spam",
        "mod",
    )
