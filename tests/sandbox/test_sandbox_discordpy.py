"""The real, unpatched discord.py client against the sandbox: login to interactions."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    GatewayIntent,
    InteractionCallbackType,
    MessageFlag,
    Permission,
    SandboxFile,
    SandboxGuild,
    SandboxScriptError,
)
from waiting import until

BotFactory = Callable[..., commands.Bot]


async def test_login_ready_sees_guilds_members_roles_and_channels(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    moderators = sandbox_guild.add_role(
        "Moderators", permissions=Permission.KICK_MEMBERS, hoist=True
    )
    alice = sandbox_guild.add_member("alice", roles=[moderators], nick="Alice A.")
    bot = make_bot()
    ready = asyncio.Event()
    on(bot, "on_ready", ready.set)

    async with discord_sandbox.run_client(bot, sandbox_app):
        await asyncio.wait_for(ready.wait(), 5)
        assert bot.user is not None
        assert bot.user.id == sandbox_app.bot_user.id
        assert bot.user.bot
        assert bot.application_id == sandbox_app.id
        assert bot.application is not None
        assert bot.application.owner.id == sandbox_app.owner.id
        [guild] = bot.guilds
        assert guild.id == sandbox_guild.id
        assert guild.name == "Sandbox Guild"
        assert guild.owner_id == sandbox_guild.owner.id
        assert guild.chunked
        assert {m.name for m in guild.members} == {"owner", "test_bot", "alice"}
        member = guild.get_member(alice.id)
        assert member is not None
        assert member.nick == "Alice A."
        assert [role.name for role in member.roles] == ["@everyone", "Moderators"]
        assert member.guild_permissions.kick_members
        assert not member.guild_permissions.ban_members
        assert guild.default_role.permissions.send_messages
        me = guild.me
        assert me.top_role.managed
        assert me.top_role.tags is not None
        assert me.top_role.tags.bot_id == sandbox_app.bot_user.id
        general = discord.utils.get(guild.text_channels, name="general")
        assert general is not None
        assert general.category is not None
        assert general.category.name == "Text Channels"
        assert [c.name for c in guild.voice_channels] == ["General"]


async def test_prefix_command_answers_in_the_channel(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply(f"pong, {ctx.author.display_name}")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        sent = await alice.send(general, "!ping")
        answer = await general.wait_for_message(author=sandbox_app)
    assert answer.content == "pong, alice"
    assert answer.referenced_message_id == sent.id


async def test_message_content_is_hidden_without_the_intent_except_mentions(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot(message_content=False)
    seen: list[str] = []

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    on(bot, "on_message", lambda message: seen.append(message.content))
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!ping")
        await alice.send(general, f"<@{sandbox_app.bot_user.id}> ping")
        answer = await general.wait_for_message(author=sandbox_app)
        await until(lambda: "pong" in seen)  # its own message comes back through the gateway
    assert answer.content == "pong"
    assert seen[0] == ""
    assert seen[1] == f"<@{sandbox_app.bot_user.id}> ping"
    assert len([content for content in seen if content == "pong"]) == 1


async def test_slash_command_with_options_ephemeral_answer_followup_and_edit(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    received: dict[str, Any] = {}

    @bot.tree.command(description="Greet a member")
    @app_commands.describe(who="Who to greet", times="How often", loud="Shout it")
    async def greet(
        interaction: discord.Interaction,
        who: discord.Member,
        times: app_commands.Range[int, 1, 5],
        role: discord.Role,
        loud: bool = False,
    ) -> None:
        received.update(
            who=who,
            times=times,
            role=role,
            loud=loud,
            expired=interaction.is_expired(),
            expires_at=interaction.expires_at,
            channel=interaction.channel,
            permissions=interaction.permissions,
            app_permissions=interaction.app_permissions,
            locale=interaction.locale,
            guild_locale=interaction.guild_locale,
            guild_integration=interaction.is_guild_integration(),
            filesize_limit=interaction.filesize_limit,
        )
        text = f"hello {who.display_name}" * times
        await interaction.response.send_message(text.upper() if loud else text, ephemeral=True)
        followup = await interaction.followup.send("and welcome", wait=True)
        received["followup_id"] = followup.id
        await interaction.followup.send("just for you", ephemeral=True)
        await interaction.edit_original_response(content="edited hello")

    alice = sandbox_guild.add_member("alice")
    bob = sandbox_guild.add_member("bob")
    helpers = sandbox_guild.add_role("Helpers")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        handle = await alice.run_command(
            general, sandbox_app, "greet", {"who": bob, "times": 2, "role": helpers}
        )
        response = await handle.wait_for_response()
        followup = await handle.wait_for_followup()
        secret = await handle.wait_for_followup()
        edited = await handle.wait_for_edit()

    assert response.type is InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    assert response.ephemeral
    assert edited.content == "edited hello"
    assert followup.content == "and welcome"
    assert followup.id == received["followup_id"]
    assert not followup.ephemeral
    assert (secret.content, secret.ephemeral) == ("just for you", True)
    assert isinstance(received["who"], discord.Member)
    assert received["who"].id == bob.id
    assert received["times"] == 2
    assert received["role"].id == helpers.id
    assert received["loud"] is False
    assert received["expired"] is False
    now = datetime.datetime.now(datetime.UTC)
    assert now < received["expires_at"] <= now + datetime.timedelta(minutes=15)
    assert received["channel"].id == general.id
    assert received["permissions"].send_messages
    assert received["app_permissions"].embed_links
    assert received["locale"] is discord.Locale.american_english
    assert received["guild_locale"] is discord.Locale.american_english
    assert received["guild_integration"] is True
    assert received["filesize_limit"] == 10 * 1024 * 1024
    assert general.messages() == [followup]


async def test_subcommands_deferral_and_choices(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    game = app_commands.Group(name="game", description="Play a game")

    @game.command(description="Start a game")
    @app_commands.choices(
        level=[
            app_commands.Choice(name="Easy", value="easy"),
            app_commands.Choice(name="Hard", value="hard"),
        ]
    )
    async def start(interaction: discord.Interaction, level: app_commands.Choice[str]) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"started {level.value}")

    bot.tree.add_command(game)
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        with pytest.raises(SandboxScriptError, match="takes one of"):
            await alice.run_command(
                general, sandbox_app, "game", {"level": "medium"}, subcommand="start"
            )
        with pytest.raises(SandboxScriptError, match="needs a subcommand"):
            await alice.run_command(general, sandbox_app, "game")
        handle = await alice.run_command(
            general, sandbox_app, "game", {"level": "hard"}, subcommand="start"
        )
        response = await handle.wait_for_response()
        message = await handle.wait_for_message()
    assert response.deferred
    assert message.content == "started hard"
    assert not message.loading


async def test_a_deferred_answer_is_filled_by_the_first_followup(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    sent: dict[str, list[discord.WebhookMessage]] = {}
    edits: list[int] = []
    on(bot, "on_raw_message_edit", lambda payload: edits.append(payload.message_id))

    @bot.tree.command(description="Think, then answer twice")
    async def think(interaction: discord.Interaction, secret: bool) -> None:
        await interaction.response.defer(thinking=True, ephemeral=secret)
        first = await interaction.followup.send("the answer", ephemeral=not secret, wait=True)
        second = await interaction.followup.send("a footnote", wait=True)
        sent[str(secret)] = [first, second]

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        public = await alice.run_command(general, sandbox_app, "think", {"secret": False})
        deferral = await public.wait_for_response()
        answer = await public.wait_for_message()
        followups = [await public.wait_for_followup(), await public.wait_for_followup()]
        await _until(lambda: answer.id in edits)
        secret = await alice.run_command(general, sandbox_app, "think", {"secret": True})
        secret_answer = await secret.wait_for_message()
        secret_followups = [await secret.wait_for_followup(), await secret.wait_for_followup()]

    assert deferral.deferred
    assert deferral.message is answer
    assert (answer.content, answer.loading, answer.ephemeral) == ("the answer", False, False)
    first, second = sent["False"]
    assert first.id == answer.id, "the first followup is the deferred answer itself"
    assert followups == general.messages()[:2]
    assert second.id == followups[1].id != answer.id
    assert [m.content for m in general.messages()] == ["the answer", "a footnote", "a footnote"]
    assert public.interaction.followup_message_ids == [second.id]
    assert (secret_answer.content, secret_answer.ephemeral) == ("the answer", True)
    assert secret_followups[0] is secret_answer
    assert not secret_followups[1].ephemeral, "later followups choose for themselves"
    assert sent["True"][0].flags.ephemeral


async def test_button_click_updates_the_message(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    clicked_by: list[int] = []

    class Counter(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=30)
            self.count = 0

        @discord.ui.button(label="+1", custom_id="counter:add", style=discord.ButtonStyle.primary)
        async def add(
            self, interaction: discord.Interaction, button: discord.ui.Button[Counter]
        ) -> None:
            self.count += 1
            clicked_by.append(interaction.user.id)
            assert interaction.message is not None
            await interaction.response.edit_message(content=f"count {self.count}", view=self)

    @bot.command()
    async def counter(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("count 0", view=Counter())

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!counter")
        message = await general.wait_for_message(author=sandbox_app)
        assert message.custom_ids == ["counter:add"]
        first = await alice.click(message, "counter:add")
        await first.wait_for_response()
        second = await alice.click(message, "counter:add")
        response = await second.wait_for_response()
        with pytest.raises(SandboxScriptError, match="no component"):
            await alice.click(message, "counter:missing")
    assert response.type is InteractionCallbackType.UPDATE_MESSAGE
    assert response.message is message
    assert message.content == "count 2"
    assert message.edit_count == 2
    assert clicked_by == [alice.id, alice.id]


async def test_select_menu_edit_and_deletion_waits(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    class Pick(discord.ui.View):
        @discord.ui.select(
            custom_id="colour",
            options=[
                discord.SelectOption(label="Red", value="red"),
                discord.SelectOption(label="Blue", value="blue"),
            ],
        )
        async def colour(
            self, interaction: discord.Interaction, select: discord.ui.Select[Pick]
        ) -> None:
            await interaction.response.defer()
            assert interaction.message is not None
            await interaction.message.edit(content=f"picked {select.values[0]}", view=None)
            await interaction.message.delete(delay=0.05)

    @bot.command()
    async def pick(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pick one", view=Pick())

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!pick")
        menu = await general.wait_for_message(author=sandbox_app)
        with pytest.raises(SandboxScriptError, match="offers"):
            await alice.select(menu, "colour", ["green"])
        await alice.select(menu, "colour", ["blue"])
        edited = await general.wait_for_edit(menu)
        assert (edited.content, edited.components) == ("picked blue", [])
        await general.wait_for_deletion(menu)


async def test_modal_opened_from_a_command_is_submitted(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    class Feedback(discord.ui.Modal, title="Feedback"):
        subject: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
            label="Subject", custom_id="subject", max_length=50
        )
        body: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
            label="Details", custom_id="body", style=discord.TextStyle.paragraph, required=False
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"thanks: {self.subject.value} / {self.body.value or '-'}", ephemeral=True
            )

    @bot.tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        opened = await alice.run_command(general, sandbox_app, "feedback")
        modal = await opened.wait_for_modal()
        assert modal["title"] == "Feedback"
        with pytest.raises(SandboxScriptError, match=r"takes 0\.\.50 characters"):
            await alice.submit_modal(opened, {"subject": "x" * 51})
        submitted = await alice.submit_modal(opened, {"subject": "Bug"})
        answer = await submitted.wait_for_response()
    assert answer.content == "thanks: Bug / -"
    assert answer.ephemeral
    assert answer.message is not None
    assert answer.message.interaction_id == submitted.id


async def test_direct_messages_both_ways(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.guild is None and not message.author.bot:
            await message.channel.send(f"you said {message.content}")
        await bot.process_commands(message)

    @bot.command()
    async def remind(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.author.send("your reminder")

    alice = sandbox_guild.add_member("alice")
    shy = sandbox_guild.add_member("shy", accepts_dms=False)
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send_dm(sandbox_app, "hi bot")
        dm = alice.dm_with(sandbox_app)
        echo = await dm.wait_for_message(author=sandbox_app)
        assert echo.content == "you said hi bot"
        assert echo.guild_id is None
        await alice.send(general, "!remind")
        reminder = await dm.wait_for_message(author=sandbox_app)
        assert reminder.content == "your reminder"
        member = bot.guilds[0].get_member(shy.id)
        assert member is not None
        with pytest.raises(discord.Forbidden) as refused:
            await member.send("hello")
    assert refused.value.code == 50007


async def test_command_tree_sync_is_stored_and_listed(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.tree.command(description="First")
    async def first(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @bot.tree.context_menu(name="Inspect")
    async def inspect(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"inspected {member.name}", ephemeral=True)

    guild_object = discord.Object(id=sandbox_guild.id)

    @bot.tree.command(description="Only here", guild=guild_object)
    async def local(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("local")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        synced = await bot.tree.sync()
        guild_synced = await bot.tree.sync(guild=guild_object)
        fetched = await bot.tree.fetch_commands()
        ids_before = {command.name: command.id for command in fetched}
        await bot.tree.sync()
        ids_after = {command.name: command.id for command in await bot.tree.fetch_commands()}
        handle = await alice.run_context_menu(general, sandbox_app, "Inspect", alice)
        answer = await handle.wait_for_response()
        local_answer = await (
            await alice.run_command(general, sandbox_app, "local")
        ).wait_for_response()

    assert sorted(command.name for command in synced) == ["Inspect", "first"]
    assert [command.name for command in guild_synced] == ["local"]
    assert guild_synced[0].guild_id == sandbox_guild.id
    assert ids_before == ids_after
    first_command = next(command for command in fetched if command.name == "first")
    assert first_command.description == "First"
    option = first_command.options[0]
    assert isinstance(option, app_commands.Argument)
    assert option.name == "text"
    assert option.required
    assert sorted(c.name for c in sandbox_app.global_commands.values()) == ["Inspect", "first"]
    assert answer.content == "inspected alice"
    assert local_answer.content == "local"


async def test_discord_limits_raise_http_exceptions_in_the_bot(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    errors: list[discord.HTTPException] = []

    @bot.command()
    async def long(ctx: commands.Context[commands.Bot]) -> None:
        attempts: list[dict[str, Any]] = [
            {"content": "x" * 2001},
            {"embed": discord.Embed(title="t" * 257)},
            {"embeds": [discord.Embed(description="d" * 4000) for _ in range(2)]},
        ]
        for attempt in attempts:
            try:
                await ctx.send(**attempt)
            except discord.HTTPException as error:
                errors.append(error)
        await ctx.send("done")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!long")
        await general.wait_for_message(author=sandbox_app, content="done")
    assert [error.code for error in errors] == [50035, 50035, 50035]
    assert all(error.status == 400 for error in errors)
    assert "In content: Must be 2000 or fewer in length." in errors[0].text
    assert "In embeds.0.title: Must be 256 or fewer in length." in errors[1].text
    assert "Embed size exceeds maximum size of 6000" in errors[2].text
    assert [m.content for m in general.messages()] == ["!long", "done"]


@pytest.mark.parametrize("discord_sandbox_options", [{"interaction_deadline": 0.2}])
async def test_a_late_first_answer_is_unknown_interaction(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    failures: list[discord.HTTPException] = []

    @bot.tree.command(description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        try:
            await interaction.response.send_message("finally")
        except discord.NotFound as error:
            failures.append(error)

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        handle = await alice.run_command(general, sandbox_app, "slow")
        await _until(lambda: bool(failures))
        with pytest.raises(AssertionError, match="member sees 'This interaction failed'"):
            await handle.wait_for_response(timeout=0.1)
    assert failures[0].code == 10062
    assert failures[0].text == "Unknown interaction"
    assert handle.response is None
    assert general.messages() == []


async def test_two_instances_answering_the_same_interaction_get_40060(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    outcomes: list[str] = []
    bots = [make_bot(), make_bot()]
    for index, bot in enumerate(bots):

        @bot.tree.command(description="Answered twice")
        async def twice(interaction: discord.Interaction, index: int = index) -> None:
            await asyncio.sleep(0.05 * index)
            try:
                await interaction.response.send_message(f"instance {index}")
                outcomes.append("ok")
            except discord.HTTPException as error:
                outcomes.append(f"{error.status} {error.code}")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with (
        discord_sandbox.run_client(bots[0], sandbox_app),
        discord_sandbox.run_client(bots[1], sandbox_app),
    ):
        await bots[0].tree.sync()
        handle = await alice.run_command(general, sandbox_app, "twice")
        response = await handle.wait_for_response()
        await _until(lambda: len(outcomes) == 2)
    assert sorted(outcomes) == ["400 40060", "ok"]
    assert response.content == "instance 0"


async def test_two_applications_in_one_guild_each_get_the_events(
    discord_sandbox: DiscordSandbox, make_bot: BotFactory
) -> None:
    hangman = discord_sandbox.add_application("Hangman")
    grammar = discord_sandbox.add_application("Grammar")
    guild = discord_sandbox.create_guild("Fleet", bots=[hangman, grammar])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    heard: dict[str, list[str]] = {"Hangman": [], "Grammar": []}
    bots = {"Hangman": make_bot(), "Grammar": make_bot()}
    for name, bot in bots.items():
        on(bot, "on_message", lambda message, name=name: heard[name].append(message.content))

        @bot.tree.command(name=f"{name.lower()}-hello", description="Hello")
        async def hello(interaction: discord.Interaction, name: str = name) -> None:
            await interaction.response.send_message(f"{name} here")

    async with (
        discord_sandbox.run_client(bots["Hangman"], hangman),
        discord_sandbox.run_client(bots["Grammar"], grammar),
    ):
        for bot in bots.values():
            await bot.tree.sync()
        assert bots["Hangman"].user != bots["Grammar"].user
        await alice.send(general, "hello fleet")
        handle = await alice.run_command(general, grammar, "grammar-hello")
        answer = await handle.wait_for_response()
        await _until(lambda: all(len(contents) == 2 for contents in heard.values()))
        with pytest.raises(SandboxScriptError, match="no registered command"):
            await alice.run_command(general, hangman, "grammar-hello")
    both = ["hello fleet", "Grammar here"]
    assert heard == {"Hangman": both, "Grammar": both}
    assert answer.content == "Grammar here"
    assert answer.message is not None
    assert answer.message.author.id == grammar.bot_user.id


async def test_member_events_roles_and_reactions(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    events: list[str] = []
    on(bot, "on_member_join", lambda member: events.append(f"join {member.name}"))
    on(bot, "on_member_remove", lambda member: events.append(f"leave {member.name}"))
    on(
        bot,
        "on_member_update",
        lambda before, after: events.append(f"roles {[r.name for r in after.roles[1:]]}"),
    )
    on(
        bot,
        "on_reaction_add",
        lambda reaction, user: events.append(f"reaction {reaction.emoji} {user.name}"),
    )
    sandbox_guild.add_role("Member")
    admins = sandbox_guild.add_role("Admins", permissions=Permission.ADMINISTRATOR)
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        guild = bot.guilds[0]
        bob = sandbox_guild.add_member("bob")
        await _until(lambda: "join bob" in events)
        member = guild.get_member(bob.id)
        assert member is not None
        role = discord.utils.get(guild.roles, name="Member")
        assert role is not None
        with pytest.raises(discord.Forbidden) as refused:
            await member.add_roles(role)
        assert refused.value.code == 50013
        await sandbox_guild.give_role(sandbox_guild.member("test_bot"), admins)
        await _until(lambda: any("Admins" in event for event in events))
        await member.add_roles(role)
        await _until(lambda: "roles ['Member']" in events)
        assert [r.name for r in bob.roles] == ["Member"]
        await sandbox_guild.take_role(bob, sandbox_guild.role("Member"))
        await _until(lambda: events[-1] == "roles []")
        sent = await bot.get_channel(general.id).send("react to me")  # type: ignore[union-attr]
        stored = discord_sandbox.state.messages[sent.id]
        await bob.react(stored, "👍")
        await sent.add_reaction("🎉")
        await _until(lambda: "reaction 👍 bob" in events)
        await sandbox_guild.remove_member(bob)
        await _until(lambda: "leave bob" in events)
    assert [(r.emoji_name, r.user_ids) for r in stored.reactions] == [
        ("👍", [bob.id]),
        ("🎉", [sandbox_app.bot_user.id]),
    ]


async def test_messages_parse_with_embeds_components_files_and_mentions(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    received: list[discord.Message] = []
    on(bot, "on_message", received.append)
    alice = sandbox_guild.add_member("alice")
    helpers = sandbox_guild.add_role("Helpers", mentionable=True)
    general = sandbox_guild.channel("general")

    async with discord_sandbox.run_client(bot, sandbox_app):
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Go", custom_id="go"))
        view.add_item(discord.ui.Button(label="Docs", url="https://example.com/docs"))
        embed = discord.Embed(title="Title", description="Body", color=0x2ECC71)
        embed.add_field(name="Field", value="Value", inline=False)
        embed.set_footer(text="Footer")
        sent = await channel.send(
            f"hi <@{alice.id}> and <@&{helpers.id}>",
            embed=embed,
            view=view,
            file=discord.File(__file__, filename="proof.py"),
        )
        fetched = await channel.fetch_message(sent.id)
        downloaded = await fetched.attachments[0].read()
        await alice.send(general, "with a file", files=[SandboxFile("notes.txt", b"some notes")])
        await _until(lambda: any(m.content == "with a file" for m in received))
        member_message = next(m for m in received if m.content == "with a file")
        member_file = await member_message.attachments[0].read()
        edited = await sent.edit(content="edited")
        history = [m.content async for m in channel.history(limit=10)]
        await sent.delete()
        with pytest.raises(discord.NotFound) as missing:
            await channel.fetch_message(sent.id)

    assert fetched.author.id == sandbox_app.bot_user.id
    assert [user.id for user in fetched.mentions] == [alice.id]
    assert [role.id for role in fetched.role_mentions] == [helpers.id]
    assert fetched.embeds[0].title == "Title"
    assert fetched.embeds[0].fields[0].name == "Field"
    assert fetched.embeds[0].footer.text == "Footer"
    assert fetched.embeds[0].colour == discord.Colour(0x2ECC71)
    buttons = fetched.components[0].children  # type: ignore[union-attr]
    assert [getattr(b, "custom_id", None) for b in buttons] == ["go", None]
    assert fetched.attachments[0].filename == "proof.py"
    assert downloaded.startswith(b'"""The real, unpatched')
    assert member_file == b"some notes"
    assert member_message.attachments[0].content_type == "text/plain"
    assert edited.edited_at is not None
    assert history == ["with a file", "edited"]
    assert missing.value.code == 10008
    assert discord_sandbox.state.messages[sent.id].deleted


async def test_disallowed_privileged_intents_fail_the_login(
    discord_sandbox: DiscordSandbox, make_bot: BotFactory
) -> None:
    app = discord_sandbox.add_application("Limited", privileged_intents=GatewayIntent(0))
    discord_sandbox.create_guild(bots=[app])
    with pytest.raises(RuntimeError, match="PrivilegedIntentsRequired"):
        async with discord_sandbox.run_client(make_bot(), app, ready_timeout=5):
            pytest.fail("the client should not become ready")


async def test_a_dropped_gateway_connection_is_resumed_without_losing_events(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    resumed = asyncio.Event()
    heard: list[str] = []
    on(bot, "on_resumed", resumed.set)
    on(bot, "on_message", lambda message: heard.append(message.content))
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        session_ids = set(discord_sandbox.gateway.sessions)
        assert await discord_sandbox.drop_gateway(sandbox_app) == 1
        await alice.send(general, "sent while disconnected")
        await asyncio.wait_for(resumed.wait(), 10)
        await _until(lambda: heard == ["sent while disconnected"])
        assert set(discord_sandbox.gateway.sessions) == session_ids
        discord_sandbox.request_reconnect(sandbox_app)
        resumed.clear()
        await asyncio.wait_for(resumed.wait(), 10)
        await alice.send(general, "after reconnect")
        await _until(lambda: heard[-1:] == ["after reconnect"])


@pytest.mark.parametrize("discord_sandbox_options", [{"heartbeat_interval_ms": 200}])
async def test_heartbeats_keep_the_connection_and_stopping_them_forces_a_resume(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    resumed = asyncio.Event()
    on(bot, "on_resumed", resumed.set)
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        [session] = discord_sandbox.gateway.connected_sessions(sandbox_app)
        first_connection = session.connection
        await asyncio.sleep(1.0)
        assert session.connection is first_connection, "five intervals on the same connection"
        assert bot.latency < 1.0, "the sandbox acknowledged discord.py's heartbeats"
        keep_alive = bot.ws._keep_alive
        assert keep_alive is not None
        keep_alive.stop()
        await asyncio.wait_for(resumed.wait(), 5)
        assert session.connection is not None
        assert session.connection is not first_connection
        await alice.send(general, "!ping")
        assert (await general.wait_for_message(author=sandbox_app)).content == "pong"


HEARTBEAT_TEST_INTERVAL_MS = 800
HEARTBEAT_TEST_ROUND_TRIP = 0.2
KEEP_ALIVE_WAKE_UP = 0.01
"""How long discord.py's keep-alive thread takes to wake up after its heartbeat went out, on a
busy process (six bots in ``botfleet sandbox`` took up to a millisecond)."""


@pytest.mark.parametrize(
    "discord_sandbox_options",
    [
        {
            "heartbeat_interval_ms": HEARTBEAT_TEST_INTERVAL_MS,
            "heartbeat_ack_delay": HEARTBEAT_TEST_ROUND_TRIP,
        }
    ],
)
async def test_a_client_measures_its_true_latency_across_heartbeats(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """discord.py's keep-alive thread records a heartbeat as sent once it wakes up after the
    send; Discord's acknowledgement crosses the network and comes later. An ACK answered in no
    time came first, and discord.py took a whole interval for the latency (41 s in ``botfleet
    sandbox``, with "Can't keep up" warnings)."""
    bot = make_bot()
    interval = HEARTBEAT_TEST_INTERVAL_MS / 1000
    async with discord_sandbox.run_client(bot, sandbox_app):
        websocket = bot.ws
        keep_alive = websocket._keep_alive
        assert keep_alive is not None
        send_heartbeat = websocket.send_heartbeat

        async def send_then_wake_up_late(data: Any) -> None:
            await send_heartbeat(data)
            await asyncio.sleep(KEEP_ALIVE_WAKE_UP)

        websocket.send_heartbeat = send_then_wake_up_late  # type: ignore[method-assign]
        latencies: list[float] = []
        acknowledged = keep_alive._last_ack
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.5 * interval + 1
        while len(latencies) < 2 and loop.time() < deadline:
            await asyncio.sleep(0.01)
            if keep_alive._last_ack != acknowledged:
                acknowledged = keep_alive._last_ack
                latencies.append(bot.latency)
    assert len(latencies) == 2, "two heartbeats after the first were acknowledged"
    assert all(latency < interval / 2 for latency in latencies), latencies
    assert "Can't keep up" not in caplog.text


async def test_unknown_routes_are_answered_like_discord_and_recorded(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()
    async with discord_sandbox.run_client(bot, sandbox_app):
        channel = bot.get_channel(sandbox_guild.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.NotFound) as missing:
            await channel.create_invite()
    assert missing.value.code == 0
    assert missing.value.text == "404: Not Found"
    [unhandled] = discord_sandbox.unhandled
    assert unhandled.method == "POST"
    assert unhandled.path.endswith(f"/channels/{channel.id}/invites")
    assert unhandled.application == "Test Bot"
    with pytest.raises(AssertionError, match="wandered off"):
        discord_sandbox.assert_no_unhandled_requests()
    discord_sandbox.unhandled.clear()


async def test_waits_fail_with_what_the_bot_did_instead(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.command()
    async def oops(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("partial answer")
        with pytest.raises(discord.HTTPException):
            await ctx.send("y" * 2500)

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!oops")
        with pytest.raises(AssertionError) as failure:
            await general.wait_for_message(author=sandbox_app, content="full answer", timeout=0.5)
    text = str(failure.value)
    assert "waiting for a message by Test Bot saying 'full answer' in #general" in text
    assert "Test Bot: 'partial answer'" in text
    assert "code 50035" in text
    assert "Must be 2000 or fewer in length." in text
    assert general.messages()[-1].flags & MessageFlag.EPHEMERAL == 0


def on(bot: commands.Bot, event: str, callback: Callable[..., object]) -> None:
    """Listen to ``event`` with a plain function (discord.py wants coroutines)."""

    async def listener(*args: Any) -> None:
        callback(*args)

    bot.add_listener(listener, event)


async def _until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Let the bot process events until ``condition`` holds."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)
