"""Moderation through the stand-in: kicks, bans, timeouts, nicknames, roles, purges, overwrites.

Discord refuses a bot acting above its rank (403, code 50013), so every action is tried both
where it is allowed and where the role hierarchy or a missing permission forbids it.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import (
    Application,
    ChannelType,
    DiscordSandbox,
    Permission,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.flags import ALL_PERMISSIONS, OverwriteType
from botfleet.sandbox.models import PermissionOverwrite
from waiting import until

BotFactory = Callable[..., commands.Bot]
MODERATOR = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.KICK_MEMBERS
    | Permission.BAN_MEMBERS
    | Permission.MODERATE_MEMBERS
    | Permission.MANAGE_NICKNAMES
    | Permission.MANAGE_ROLES
    | Permission.MANAGE_MESSAGES
)


@pytest.fixture
def mod_app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Mod Bot")


@pytest.fixture
def mod_guild(discord_sandbox: DiscordSandbox, mod_app: Application) -> SandboxGuild:
    guild = discord_sandbox.create_guild("Moderated")
    guild.add_bot(mod_app, permissions=MODERATOR)
    return guild


@pytest.fixture
async def running(
    discord_sandbox: DiscordSandbox,
    mod_app: Application,
    mod_guild: SandboxGuild,
    make_bot: BotFactory,
) -> AsyncIterator[commands.Bot]:
    bot = make_bot()
    bot.intents.moderation = True
    async with discord_sandbox.run_client(bot, mod_app):
        yield bot


def listen(bot: commands.Bot, *events: str) -> list[str]:
    heard: list[str] = []
    for event in events:

        async def record(*_: Any, event: str = event) -> None:
            heard.append(event)

        bot.add_listener(record, event)
    return heard


def member_of(bot: commands.Bot, guild: SandboxGuild, member: SandboxMember) -> discord.Member:
    found = bot.get_guild(guild.id).get_member(member.id)  # type: ignore[union-attr]
    assert found is not None
    return found


async def test_kick_ban_unban_and_the_events_discord_py_sees(
    running: commands.Bot, discord_sandbox: DiscordSandbox, mod_guild: SandboxGuild
) -> None:
    heard = listen(running, "on_member_remove", "on_member_ban", "on_member_unban")
    alice, bob = mod_guild.add_member("alice"), mod_guild.add_member("bob")
    guild = running.get_guild(mod_guild.id)
    assert guild is not None
    await until(lambda: guild.get_member(bob.id) is not None)
    await member_of(running, mod_guild, alice).kick(reason="spam")
    await until(lambda: heard == ["on_member_remove"])
    assert alice.id not in mod_guild.guild.members
    rejoined = mod_guild.join(alice)
    assert rejoined.id in mod_guild.guild.members, "a kicked member may come back"
    await guild.ban(discord.Object(bob.id), reason="raiding", delete_message_seconds=0)
    await until(lambda: heard[1:] == ["on_member_ban", "on_member_remove"])
    outsider = discord_sandbox.state.create_user("outsider")
    await guild.ban(discord.Object(outsider.id))
    entries = [entry async for entry in guild.bans()]
    assert [(e.user.id, e.reason) for e in entries] == sorted(
        [(bob.id, "raiding"), (outsider.id, None)]
    )
    assert (await guild.fetch_ban(discord.Object(bob.id))).reason == "raiding"
    with pytest.raises(SandboxScriptError, match="banned from Moderated"):
        mod_guild.join(bob)
    await guild.unban(discord.Object(bob.id))
    await until(lambda: heard[-1] == "on_member_unban")
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_ban(discord.Object(bob.id))
    assert missing.value.code == 10026
    with pytest.raises(discord.NotFound) as never:
        await guild.unban(discord.Object(bob.id))
    assert never.value.code == 10026
    assert mod_guild.join(bob).id == bob.id


async def test_a_ban_deletes_the_users_recent_messages_in_one_bulk_event(
    running: commands.Bot, mod_guild: SandboxGuild
) -> None:
    bulk: list[discord.RawBulkMessageDeleteEvent] = []

    async def on_raw_bulk_message_delete(event: discord.RawBulkMessageDeleteEvent) -> None:
        bulk.append(event)

    running.add_listener(on_raw_bulk_message_delete)
    spammer, bystander = mod_guild.add_member("spammer"), mod_guild.add_member("bystander")
    general = mod_guild.channel("general")
    old = spammer.post_history(
        general, "last week", sent_at=discord.utils.utcnow() - datetime.timedelta(days=7)
    )
    spam = [await spammer.send(general, f"spam {n}") for n in range(3)]
    kept = await bystander.send(general, "hello")
    guild = running.get_guild(mod_guild.id)
    assert guild is not None
    await guild.ban(discord.Object(spammer.id), delete_message_seconds=3600)
    await until(lambda: bool(bulk))
    assert bulk[0].message_ids == {message.id for message in spam}
    assert bulk[0].channel_id == general.id
    assert [m.content for m in general.messages()] == ["last week", "hello"]
    assert not old.deleted
    assert not kept.deleted
    with pytest.raises(discord.HTTPException) as too_far:
        await guild.ban(discord.Object(bystander.id), delete_message_seconds=8 * 24 * 3600)
    assert too_far.value.code == 50035


async def test_timeouts_nicknames_and_the_hierarchy(
    running: commands.Bot, discord_sandbox: DiscordSandbox, mod_guild: SandboxGuild
) -> None:
    updates: list[discord.Member] = []

    async def on_member_update(_: discord.Member, after: discord.Member) -> None:
        updates.append(after)

    running.add_listener(on_member_update)
    alice = mod_guild.add_member("alice")
    senior = mod_guild.add_role("Senior")
    boss = mod_guild.add_member("boss", roles=[senior])
    admins = mod_guild.add_role("Admins", permissions=Permission.ADMINISTRATOR, position=1)
    admin = mod_guild.add_member("admin", roles=[admins])
    general = mod_guild.channel("general")
    guild = running.get_guild(mod_guild.id)
    assert guild is not None
    await until(lambda: guild.get_member(admin.id) is not None)
    target = member_of(running, mod_guild, alice)
    await target.timeout(datetime.timedelta(minutes=10), reason="cool down")
    await until(lambda: bool(updates) and updates[-1].is_timed_out())
    assert alice.timed_out
    with pytest.raises(SandboxScriptError, match="cannot send messages in general \\(timed out\\)"):
        await alice.send(general, "let me talk")
    assert not mod_guild.channel("general").permissions_for(alice).send_messages
    assert mod_guild.channel("general").permissions_for(alice).read_message_history
    await target.timeout(None)
    await until(lambda: not updates[-1].is_timed_out())
    await alice.send(general, "thanks")
    with pytest.raises(discord.HTTPException) as too_long:
        await target.timeout(datetime.timedelta(days=29))
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    await target.edit(nick="Ally")
    await until(lambda: updates[-1].nick == "Ally")
    assert alice.nick == "Ally"
    assert (await guild.me.edit(nick="Warden")) is not None
    assert mod_guild.member("mod_bot").nick == "Warden"
    higher = member_of(running, mod_guild, boss)
    owner = guild.get_member(mod_guild.owner.id)
    assert owner is not None
    admin_member = member_of(running, mod_guild, admin)
    refused: list[tuple[str, int]] = []
    for label, action in (
        ("kick boss", higher.kick()),
        ("ban boss", higher.ban()),
        ("time out boss", higher.timeout(datetime.timedelta(minutes=1))),
        ("rename boss", higher.edit(nick="x")),
        ("kick owner", owner.kick()),
        ("time out an admin", admin_member.timeout(datetime.timedelta(minutes=1))),
    ):
        with pytest.raises(discord.Forbidden) as error:
            await action
        refused.append((label, error.value.code))
    assert [code for _, code in refused] == [50013] * 6, refused
    assert boss.id in mod_guild.guild.members
    assert not admin.timed_out
    assert (
        discord_sandbox.http_errors[-1]
        .describe()
        .endswith("-> 403 Missing Permissions (code 50013)")
    )


async def test_roles_edited_through_the_member_follow_the_hierarchy(
    running: commands.Bot, mod_guild: SandboxGuild
) -> None:
    helper = mod_guild.add_role("Helper", position=1)
    above = mod_guild.add_role("Above the bot")
    alice = mod_guild.add_member("alice")
    guild = running.get_guild(mod_guild.id)
    assert guild is not None
    await until(lambda: guild.get_role(above.id) is not None)
    target = member_of(running, mod_guild, alice)
    await target.edit(roles=[discord.Object(helper.id)])
    assert [role.id for role in alice.roles] == [helper.id]
    for roles in ([helper.id, above.id], [helper.id, mod_guild.role("Mod Bot").id]):
        with pytest.raises(discord.Forbidden):
            await target.edit(roles=[discord.Object(role_id) for role_id in roles])
    with pytest.raises(discord.Forbidden):
        await target.add_roles(discord.Object(above.id))
    with pytest.raises(discord.NotFound) as unknown_role:
        await target.edit(roles=[discord.Object(12345)])
    assert unknown_role.value.code == 10011
    assert [role.id for role in alice.roles] == [helper.id]


async def test_deleted_roles_leave_members_and_the_bot_hears_it(
    running: commands.Bot, mod_guild: SandboxGuild
) -> None:
    heard = listen(running, "on_guild_role_delete")
    helper = mod_guild.add_role("Helper", position=1)
    artists = mod_guild.add_role("Artists", position=1)
    above = mod_guild.add_role("Above the bot")
    alice = mod_guild.add_member("alice", roles=[helper, artists])
    guild = running.get_guild(mod_guild.id)
    assert guild is not None
    await until(lambda: guild.get_member(alice.id) is not None)
    await mod_guild.delete_role(helper)
    await until(lambda: guild.get_role(helper.id) is None)
    assert [role.id for role in alice.roles] == [artists.id]
    assert helper.id not in [role.id for role in member_of(running, mod_guild, alice).roles]
    role = guild.get_role(artists.id)
    assert role is not None
    await role.delete(reason="not needed")
    await until(lambda: guild.get_role(artists.id) is None)
    assert alice.roles == []
    assert heard == ["on_guild_role_delete", "on_guild_role_delete"]
    protected = guild.get_role(above.id)
    assert protected is not None
    with pytest.raises(discord.Forbidden):
        await protected.delete()


async def test_purge_bulk_deletes_recent_messages_and_deletes_old_ones_one_by_one(
    running: commands.Bot, mod_guild: SandboxGuild
) -> None:
    heard = listen(running, "on_raw_bulk_message_delete", "on_raw_message_delete")
    alice = mod_guild.add_member("alice")
    general = mod_guild.channel("general")
    ancient = alice.post_history(
        general, "ancient", sent_at=discord.utils.utcnow() - datetime.timedelta(days=20)
    )
    for n in range(3):
        await alice.send(general, f"recent {n}")
    channel = running.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)
    purged = await channel.purge(limit=10)
    assert sorted(message.content for message in purged) == [
        "ancient",
        "recent 0",
        "recent 1",
        "recent 2",
    ]
    await until(lambda: sorted(heard) == ["on_raw_bulk_message_delete", "on_raw_message_delete"])
    assert general.messages() == []
    assert ancient.deleted


async def test_bulk_delete_limits_over_raw_http(
    discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    recent = [await alice.send(general, str(n)) for n in range(2)]
    old = alice.post_history(
        general, "old", sent_at=discord.utils.utcnow() - datetime.timedelta(days=15)
    )
    path = f"/channels/{general.id}/messages/bulk-delete"
    async with aiohttp.ClientSession() as session:

        async def bulk(ids: list[int]) -> tuple[int, dict[str, Any]]:
            async with session.post(
                discord_sandbox.api_base + path,
                headers={"Authorization": f"Bot {sandbox_app.token}"},
                json={"messages": [str(i) for i in ids]},
            ) as response:
                return response.status, await response.json() if response.status != 204 else {}

        status, body = await bulk([m.id for m in recent])
        assert (status, body["code"]) == (403, 50013)
        sandbox_guild.role("Test Bot").permissions |= Permission.MANAGE_MESSAGES
        status, body = await bulk([recent[0].id])
        assert (status, body["code"]) == (400, 50035)
        assert body["errors"]["messages"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"
        status, body = await bulk([m.id for m in recent] * 51)
        assert (status, body["code"]) == (400, 50035), "more than 100 ids"
        status, body = await bulk([recent[0].id, old.id])
        assert status == 400
        assert body == {
            "message": "You can only bulk delete messages that are under 14 days old.",
            "code": 50034,
        }
        assert not recent[0].deleted
        status, _ = await bulk([m.id for m in recent] + [discord_sandbox.state.snowflakes.next()])
        assert status == 204
    assert [m.content for m in general.messages()] == ["old"]


async def test_overwrites_decide_who_may_send_and_interactions_report_them(
    running: commands.Bot,
    discord_sandbox: DiscordSandbox,
    mod_app: Application,
    mod_guild: SandboxGuild,
) -> None:
    mutes = mod_guild.add_role("Muted", position=1)
    alice = mod_guild.add_member("alice", roles=[mutes])
    bob = mod_guild.add_member("bob")
    general = mod_guild.channel("general")
    channel = running.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)
    guild = channel.guild
    await until(lambda: guild.get_member(bob.id) is not None)
    updated = asyncio.Event()

    async def on_guild_channel_update(_: Any, after: discord.abc.GuildChannel) -> None:
        updated.set()

    running.add_listener(on_guild_channel_update)
    muted_role = guild.get_role(mutes.id)
    assert muted_role is not None
    await channel.set_permissions(muted_role, send_messages=False)
    await asyncio.wait_for(updated.wait(), 5)
    assert general.overwrites[mutes.id].deny == Permission.SEND_MESSAGES
    with pytest.raises(SandboxScriptError, match="missing SEND_MESSAGES"):
        await alice.send(general, "hi")
    await bob.send(general, "hi")
    discord_py_view = channel.permissions_for(member_of(running, mod_guild, alice))
    voice_bits = discord.Permissions.voice().value
    assert discord_py_view.value == general.permissions_for(alice).value & ~voice_bits, (
        "discord.py computes what the sandbox does (it drops voice bits in text channels)"
    )
    assert not discord_py_view.embed_links, "no send means no embeds either"

    @running.tree.command(description="Show permissions")
    async def perms(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.user, discord.Member)
        await interaction.response.send_message(
            f"{interaction.permissions.send_messages} {interaction.app_permissions.send_messages}"
        )

    await running.tree.sync()
    mod_role = mod_guild.role("Mod Bot")
    await general.set_permissions(mod_role, deny=Permission.SEND_MESSAGES)
    member_overwrite = PermissionOverwrite(
        id=alice.id, type=OverwriteType.MEMBER, allow=Permission.SEND_MESSAGES
    )
    discord_sandbox.state.set_overwrite(general.channel, member_overwrite)
    handle = await alice.run_command(general, mod_app, "perms")
    answer = await handle.wait_for_response()
    assert answer.content == "True False", "member overwrite beats role; the bot is denied"
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("the bot may not speak here")
    assert refused.value.code == 50013
    await general.clear_permissions(mod_role)
    await channel.send("now it may")
    with pytest.raises(discord.Forbidden):
        await channel.set_permissions(member_of(running, mod_guild, bob), manage_guild=True)
    with pytest.raises(SandboxScriptError, match="bob cannot edit the permissions"):
        await general.set_permissions(alice, deny=Permission.VIEW_CHANNEL, by=bob)


def test_permissions_follow_discords_overwrite_order() -> None:
    sandbox = DiscordSandbox()
    state = sandbox.state
    owner = state.create_user("owner")
    guild = state.create_guild("g", owner=owner)
    text = state.create_channel(guild, "text", ChannelType.GUILD_TEXT)
    voice = state.create_channel(guild, "voice", ChannelType.GUILD_VOICE)
    readers = state.create_role(guild, "readers")
    admins = state.create_role(guild, "admins", permissions=Permission.ADMINISTRATOR)
    user = state.create_user("user")
    member = state.add_member(guild, user, role_ids=[readers.id])
    boss = state.create_user("boss")
    state.add_member(guild, boss, role_ids=[admins.id])

    def overwrite(target: int, kind: OverwriteType, allow: int = 0, deny: int = 0) -> None:
        state.set_overwrite(text, PermissionOverwrite(target, kind, allow, deny))

    assert guild.permissions_in(text, user.id) & Permission.SEND_MESSAGES
    overwrite(guild.id, OverwriteType.ROLE, deny=Permission.VIEW_CHANNEL)
    assert guild.permissions_in(text, user.id) == 0, "no VIEW_CHANNEL hides everything"
    overwrite(readers.id, OverwriteType.ROLE, allow=Permission.VIEW_CHANNEL)
    assert guild.permissions_in(text, user.id) & Permission.VIEW_CHANNEL
    overwrite(user.id, OverwriteType.MEMBER, deny=Permission.SEND_MESSAGES)
    held = guild.permissions_in(text, user.id)
    assert held & Permission.VIEW_CHANNEL
    assert not held & (Permission.SEND_MESSAGES | Permission.ATTACH_FILES | Permission.EMBED_LINKS)
    assert guild.permissions_in(text, boss.id) == ALL_PERMISSIONS, "administrators bypass"
    assert guild.permissions_in(text, owner.id) == ALL_PERMISSIONS, "so does the owner"
    state.set_overwrite(
        voice, PermissionOverwrite(guild.id, OverwriteType.ROLE, deny=Permission.CONNECT)
    )
    assert not guild.permissions_in(voice, user.id) & Permission.SPEAK
    assert guild.permissions_in(voice, user.id) & Permission.VIEW_CHANNEL
    member.communication_disabled_until = discord.utils.utcnow() + datetime.timedelta(minutes=1)
    assert guild.permissions_in(text, user.id) == Permission.VIEW_CHANNEL | (
        Permission.READ_MESSAGE_HISTORY
    )
    assert guild.permissions_of(user.id) & Permission.SEND_MESSAGES == 0
    assert not guild.outranks(user.id, boss.id)
    assert guild.outranks(boss.id, user.id)
    assert not guild.outranks(boss.id, owner.id)
    assert guild.outranks(owner.id, boss.id)


async def test_scripted_moderators_are_held_to_the_same_rules(
    discord_sandbox: DiscordSandbox, sandbox_guild: SandboxGuild
) -> None:
    helpers = sandbox_guild.add_role("Helpers", permissions=Permission.KICK_MEMBERS, position=1)
    helper = sandbox_guild.add_member("helper", roles=[helpers])
    alice = sandbox_guild.add_member("alice")
    with pytest.raises(SandboxScriptError, match=r"helper cannot ban alice: .*50013"):
        await sandbox_guild.ban(alice, by=helper)
    with pytest.raises(SandboxScriptError, match="helper cannot kick owner"):
        await sandbox_guild.kick(sandbox_guild.owner, by=helper)
    await sandbox_guild.kick(alice, by=helper)
    assert alice.id not in sandbox_guild.guild.members
    sandbox_guild.join(alice)
    ban = await sandbox_guild.ban(alice, reason="spam")
    assert (ban.user.id, ban.reason) == (alice.id, "spam")
    assert [b.user.id for b in sandbox_guild.bans] == [alice.id]
    await sandbox_guild.unban(alice)
    with pytest.raises(SandboxScriptError, match="Unknown Ban"):
        await sandbox_guild.unban(alice)
    bob = sandbox_guild.add_member("bob")
    await sandbox_guild.set_nick(bob, "Bobby")
    assert bob.nick == "Bobby"
    with pytest.raises(SandboxScriptError, match="helper cannot rename bob"):
        await sandbox_guild.set_nick(bob, "x", by=helper)
    await sandbox_guild.timeout(bob, datetime.timedelta(minutes=5))
    assert bob.timed_out
    with pytest.raises(SandboxScriptError, match="28 days"):
        await sandbox_guild.timeout(bob, datetime.timedelta(days=30))
    assert not sandbox_guild.permissions_of(bob).send_messages
