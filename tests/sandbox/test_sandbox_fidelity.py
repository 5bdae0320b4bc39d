"""Every payload the sandbox emits is one discord.py parses without complaint, field by field."""

from __future__ import annotations

import copy
import datetime
import logging
from collections.abc import Callable, Mapping
from typing import Any

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Permission,
    SandboxGuild,
    SandboxScriptError,
)
from botfleet.sandbox.state import GatewayEvent
from botfleet.sandbox.voice import SandboxVoiceClient
from waiting import until

BotFactory = Callable[..., commands.Bot]
KNOWN_HARMLESS_WARNINGS = ("PyNaCl is not installed", "davey is not installed")


class Recorder:
    """Keeps every event (as rendered for one application) the world dispatches."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.events: list[tuple[str, dict[str, Any]]] = []

    def deliver(self, event: GatewayEvent) -> None:
        if self.app in event.recipients:
            payload: Mapping[str, Any] = event.render(self.app, discord.Intents.all().value)
            self.events.append((event.name, copy.deepcopy(dict(payload))))

    def of(self, name: str) -> list[dict[str, Any]]:
        return [payload for event, payload in self.events if event == name]


def on(bot: commands.Bot, event: str, callback: Callable[..., object]) -> None:
    async def listener(*args: Any) -> None:
        callback(*args)

    bot.add_listener(listener, event)


async def test_a_busy_session_parses_cleanly_and_field_by_field(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder(sandbox_app)
    discord_sandbox.state.subscribe(recorder)
    intents = discord.Intents.all()
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    seen: list[str] = []
    for event in (
        "on_member_join",
        "on_member_remove",
        "on_member_update",
        "on_message",
        "on_message_edit",
        "on_message_delete",
        "on_raw_reaction_add",
        "on_guild_role_create",
        "on_guild_channel_create",
    ):
        on(bot, event, lambda *args, event=event: seen.append(event))

    class Confirm(discord.ui.View):
        @discord.ui.button(label="Yes", custom_id="yes")
        async def yes(
            self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]
        ) -> None:
            await interaction.response.edit_message(content="confirmed", view=None)

    @bot.command()
    async def ask(ctx: commands.Context[commands.Bot]) -> None:
        async with ctx.typing():
            embed = discord.Embed(title="Question", description="Sure?").add_field(
                name="a", value="b"
            )
            await ctx.reply("confirm?", embed=embed, view=Confirm())

    @bot.tree.command(description="Who am I")
    async def whoami(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(interaction.user.mention, ephemeral=True)

    caplog.set_level(logging.WARNING, logger="discord")
    async with discord_sandbox.run_client(bot, sandbox_app) as client:
        await bot.tree.sync()
        sandbox_guild.add_role("Extra", permissions=Permission.MANAGE_MESSAGES)
        sandbox_guild.add_text_channel("games", topic="Play here")
        alice = sandbox_guild.add_member("alice", nick="Al")
        general = sandbox_guild.channel("general")
        question = await alice.send(general, f"!ask <@{sandbox_app.bot_user.id}>")
        reply = await general.wait_for_message(author=sandbox_app)
        await alice.react(reply, "✅")
        click = await alice.click(reply, "yes")
        await click.wait_for_response()
        await alice.edit(question, "!ask (edited)")
        await alice.delete(question)
        ephemeral = await alice.run_command(general, sandbox_app, "whoami")
        await ephemeral.wait_for_response()
        await sandbox_guild.give_role(alice, sandbox_guild.role("Extra"))
        await sandbox_guild.remove_member(alice)
        await until(lambda: "on_member_remove" in seen)
        connection = bot._connection

        guild = bot.get_guild(sandbox_guild.id)
        assert guild is not None
        channel = guild.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        parsed = [
            discord.Message(state=connection, channel=channel, data=payload)  # type: ignore[arg-type]
            for payload in recorder.of("MESSAGE_CREATE")
        ]
        interactions = [
            discord.Interaction(data=payload, state=connection)  # type: ignore[arg-type]
            for payload in recorder.of("INTERACTION_CREATE")
        ]
        assert not client.is_closed()

    unknown_events = {name for name, _ in recorder.events} - set(connection.parsers)
    assert unknown_events == set()
    complaints = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not record.getMessage().startswith(KNOWN_HARMLESS_WARNINGS)
    ]
    assert complaints == []
    assert {
        "on_member_join",
        "on_member_update",
        "on_message_edit",
        "on_message_delete",
        "on_raw_reaction_add",
        "on_guild_role_create",
        "on_guild_channel_create",
    } <= set(seen)
    assert recorder.of("TYPING_START") == [], "a bot is not told about its own typing"

    member_question, bot_reply = parsed[0], parsed[1]
    assert member_question.author.id == alice.id
    assert isinstance(member_question.author, discord.Member)
    assert member_question.author.nick == "Al"
    assert member_question.mentions[0].id == sandbox_app.bot_user.id
    assert bot_reply.reference is not None
    assert bot_reply.reference.message_id == member_question.id
    assert bot_reply.type is discord.MessageType.reply
    assert bot_reply.embeds[0].fields[0].value == "b"
    assert bot_reply.components[0].children[0].custom_id == "yes"  # type: ignore[union-attr]
    assert bot_reply.created_at <= discord.utils.utcnow()

    component, command = interactions
    assert command.type is discord.InteractionType.application_command
    assert command.command is not None
    assert command.command.name == "whoami"
    assert isinstance(command.user, discord.Member)
    assert command.user.id == alice.id
    assert command.channel is not None
    assert command.channel.id == general.id
    assert command.context.guild
    assert component.type is discord.InteractionType.component
    assert component.message is not None
    assert component.message.id == reply.id
    assert component.custom_id == "yes"

    [join] = recorder.of("GUILD_MEMBER_ADD")
    assert join["guild_id"] == str(sandbox_guild.id)
    assert join["nick"] == "Al"
    [update] = recorder.of("GUILD_MEMBER_UPDATE")
    assert update["roles"] == [str(sandbox_guild.role("Extra").id)]
    [deleted] = recorder.of("MESSAGE_DELETE")
    assert deleted == {
        "id": str(question.id),
        "channel_id": str(general.id),
        "guild_id": str(sandbox_guild.id),
    }
    ephemeral_ids = {str(m.id) for m in general.messages(include_ephemeral=True) if m.ephemeral}
    assert ephemeral_ids
    assert not ephemeral_ids & {payload["id"] for payload in recorder.of("MESSAGE_CREATE")}


async def test_members_are_held_to_discord_clients_limits(
    discord_sandbox: DiscordSandbox, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    with pytest.raises(SandboxScriptError, match="Must be 2000 or fewer"):
        await alice.send(general, "x" * 2001)
    bob = sandbox_guild.add_member("bob")
    message = await alice.send(general, "mine")
    with pytest.raises(SandboxScriptError, match="only edit their own"):
        await bob.edit(message, "yours")
    with pytest.raises(SandboxScriptError, match="MANAGE_MESSAGES"):
        await bob.delete(message)
    muted = sandbox_guild.add_member("muted")
    sandbox_guild.guild.everyone_role.permissions &= ~int(Permission.SEND_MESSAGES)
    with pytest.raises(SandboxScriptError, match="SEND_MESSAGES"):
        await muted.send(general, "hello?")
    assert [m.content for m in general.messages()] == ["mine"]


async def test_moderation_voice_reaction_and_autocomplete_events_parse_cleanly(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guild = discord_sandbox.create_guild("Everything")
    guild.add_bot(sandbox_app, permissions=Permission.ADMINISTRATOR)
    recorder = Recorder(sandbox_app)
    discord_sandbox.state.subscribe(recorder)
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.05)
    seen: list[str] = []
    for event in (
        "on_member_ban",
        "on_member_unban",
        "on_raw_bulk_message_delete",
        "on_raw_reaction_remove",
        "on_raw_reaction_clear",
        "on_raw_reaction_clear_emoji",
        "on_voice_state_update",
        "on_guild_channel_update",
        "on_guild_role_update",
    ):
        on(bot, event, lambda *args, event=event: seen.append(event))

    async def suggest(interaction: discord.Interaction, current: str) -> list[Any]:
        return [discord.app_commands.Choice(name=current or "empty", value=current or "e")]

    @bot.tree.command(description="Search")
    @discord.app_commands.autocomplete(query=suggest)
    async def search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(query)

    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general, lounge = guild.channel("general"), guild.channel("General")
    caplog.set_level(logging.WARNING, logger="discord")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        await alice.join_voice(lounge)
        await until(lambda: "on_voice_state_update" in seen)
        vc = await bot.get_channel(lounge.id).connect(cls=SandboxVoiceClient)  # type: ignore[union-attr]
        await vc.disconnect()
        await alice.leave_voice()
        message = await alice.send(general, "react to me")
        await bob.react(message, "👍")
        await bob.unreact(message, "👍")
        await alice.react(message, "🎉")
        await alice.react(message, "👀")
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        fetched = await channel.fetch_message(message.id)
        await fetched.clear_reaction("🎉")
        await fetched.clear_reactions()
        await channel.set_permissions(channel.guild.default_role, embed_links=False)
        guild.add_role("Lowest", position=1)
        spam = [await bob.send(general, "one"), await bob.send(general, "two")]
        member = channel.guild.get_member(bob.id)
        assert member is not None
        await member.timeout(datetime.timedelta(minutes=1))
        await member.edit(nick="Bobby")
        await channel.guild.ban(member, delete_message_seconds=60)
        await channel.guild.unban(discord.Object(bob.id))
        typing = await alice.autocomplete(
            general, sandbox_app, "search", {"query": "q"}, focused="query"
        )
        assert await typing.wait_for_choices() == [{"name": "q", "value": "q"}]
        await until(lambda: "on_member_unban" in seen)
        connection = bot._connection

    unknown_events = {name for name, _ in recorder.events} - set(connection.parsers)
    assert unknown_events == set()
    complaints = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not record.getMessage().startswith(KNOWN_HARMLESS_WARNINGS)
    ]
    assert complaints == []
    assert {
        "on_member_ban",
        "on_member_unban",
        "on_raw_bulk_message_delete",
        "on_raw_reaction_remove",
        "on_raw_reaction_clear",
        "on_raw_reaction_clear_emoji",
        "on_guild_channel_update",
        "on_guild_role_update",
    } <= set(seen)
    voice_updates = recorder.of("VOICE_STATE_UPDATE")
    assert [update["channel_id"] for update in voice_updates] == [
        str(lounge.id),
        str(lounge.id),
        None,
        None,
    ]
    for update in voice_updates:
        state = discord.VoiceState(data=update, channel=None)  # type: ignore[arg-type]
        assert state.session_id == update["session_id"]
    [server] = recorder.of("VOICE_SERVER_UPDATE")
    assert server["endpoint"] == discord_sandbox.url.removeprefix("http://")
    [bulk] = recorder.of("MESSAGE_DELETE_BULK")
    raw_bulk = discord.RawBulkMessageDeleteEvent(bulk)  # type: ignore[arg-type]
    assert raw_bulk.message_ids == {message.id for message in spam}
    [ban] = recorder.of("GUILD_BAN_ADD")
    assert ban == {"guild_id": str(guild.id), "user": ban["user"]}
    assert ban["user"]["id"] == str(bob.id)
    [removed] = recorder.of("MESSAGE_REACTION_REMOVE")
    assert "member" not in removed, "Discord sends no member with a reaction removal"
    timed_out = [
        u for u in recorder.of("GUILD_MEMBER_UPDATE") if "communication_disabled_until" in u
    ]
    assert timed_out
    assert timed_out[-1]["nick"] == "Bobby"
    [channel_update] = recorder.of("CHANNEL_UPDATE")
    assert channel_update["permission_overwrites"] == [
        {
            "id": str(guild.id),
            "type": 0,
            "allow": "0",
            "deny": str(int(Permission.EMBED_LINKS)),
        }
    ]
    assert recorder.of("GUILD_ROLE_UPDATE"), "a role put below the others pushes them up"
