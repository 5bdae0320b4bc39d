"""The bot base end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import HTTPClient, Route
from pydantic import SecretStr
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoPermissionError

from botfleet.auth.permissions import requires_permission
from botfleet.bots.hangman.bot import DEFINITION as HANGMAN
from botfleet.cache.resilience import ResilientRedis
from botfleet.config import ConfigError
from botfleet.config.schema import (
    BotSection,
    CacheSection,
    DatabaseSection,
    PermissionsSection,
    RateLimitsSection,
    Settings,
)
from botfleet.core.bot import XP_EXTENSION, FleetBot
from botfleet.core.definition import BotDefinition, NoOptions
from botfleet.core.errors import handle_interaction_error
from botfleet.core.sharding import IdentifyGate
from botfleet.core.tree_sync import TreeSyncer
from botfleet.database import migrate
from botfleet.database.base import Database
from botfleet.database.models.guild import Guild
from botfleet.database.models.user import User
from botfleet.errors import UserError
from botfleet.sandbox import Application, DiscordSandbox, Permission, SandboxGuild
from botfleet.services.scheduler import ScheduledTimer, Scheduler
from waiting import until

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings for a bot on a SQLite file of this test's own, ready in a fraction of a second."""

    def build(**sections: Any) -> Settings:
        values: dict[str, Any] = {
            "database": DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/fleet.db")),
            "bot": BotSection(prefix="h!", guild_ready_timeout=0.05, data_dir=str(tmp_path)),
        }
        values.update(sections)
        return Settings(bot_name="hangman", **values)

    return build


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Hangman Bot")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    return discord_sandbox.create_guild("Word Games", bots=[app])


class FeedbackForm(discord.ui.Modal, title="Feedback"):
    """A form whose submission is refused the way the bots refuse theirs."""

    text: discord.ui.TextInput[FeedbackForm] = discord.ui.TextInput(label="Your feedback")

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await handle_interaction_error(interaction, UserError("Say a little more."))


class PagerView(discord.ui.View):
    """Buttons that disable themselves on timeout, as the leaderboard's do."""

    def __init__(self, bot: FleetBot) -> None:
        super().__init__(timeout=600)
        self.bot = bot
        self.shown_by: discord.Interaction[FleetBot] | None = None
        self.expired_while_open: bool | None = None

    @discord.ui.button(label="Next")
    async def next_page(
        self, interaction: discord.Interaction[FleetBot], button: discord.ui.Button[PagerView]
    ) -> None:
        await interaction.response.defer()

    async def on_timeout(self) -> None:
        self.expired_while_open = not self.bot.is_closed()
        self.next_page.disabled = True
        assert self.shown_by is not None
        await self.shown_by.edit_original_response(view=self)


class Probe(commands.Cog):
    """Commands that exercise the bot base's error path and permission levels."""

    def __init__(self) -> None:
        self.timers: list[ScheduledTimer] = []
        self.timer_fired = asyncio.Event()
        self.pagers: list[PagerView] = []

    @app_commands.command(name="pages", description="Shows buttons that time out.")
    async def pages(self, interaction: discord.Interaction[FleetBot]) -> None:
        view = PagerView(interaction.client)
        view.shown_by = interaction
        self.pagers.append(view)
        await interaction.response.send_message("page 1", view=view)

    @app_commands.command(name="explode", description="Fails unexpectedly.")
    async def explode(self, interaction: discord.Interaction[FleetBot]) -> None:
        raise RuntimeError("database on fire")

    @app_commands.command(name="refuse", description="Fails with a message for the member.")
    async def refuse(self, interaction: discord.Interaction[FleetBot]) -> None:
        await interaction.response.defer(ephemeral=True)
        raise UserError("That word was already guessed.")

    @app_commands.command(name="feedback", description="Opens a form that refuses short text.")
    async def feedback(self, interaction: discord.Interaction[FleetBot]) -> None:
        await interaction.response.send_modal(FeedbackForm())

    @app_commands.command(name="purge", description="Moderators only.")
    @requires_permission("moderator")
    async def purge(self, interaction: discord.Interaction[FleetBot]) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    @commands.command(name="configure")
    @requires_permission("admin")
    async def configure(self, ctx: commands.Context[FleetBot]) -> None:
        await ctx.send("configured")

    @commands.Cog.listener()
    async def on_probe_timer_complete(self, timer: ScheduledTimer) -> None:
        self.timers.append(timer)
        self.timer_fired.set()


@asynccontextmanager
async def running(
    sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    *,
    definition: BotDefinition = HANGMAN,
    probe: Probe | None = None,
) -> AsyncIterator[FleetBot]:
    bot = FleetBot(definition, settings)
    if probe is not None:
        await bot.add_cog(probe)
    async with sandbox.run_client(bot, app):
        yield bot


async def test_login_migrates_syncs_and_answers_core_commands(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    tmp_path: Path,
) -> None:
    settings = make_settings()
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, settings) as bot:
        assert bot.failed_extensions == {}
        url = settings.database.url.get_secret_value()
        assert await migrate.current(url) in await migrate.heads()
        assert {command.name for command in app.global_commands.values()} >= {"ping", "about"}
        assert (tmp_path / f"commands-{app.id}.sha256").is_file()

        ping = await (await alice.run_command(general, app, "ping")).wait_for_response()
        assert ping.ephemeral
        assert ping.content.startswith("🏓 Pong!")

        about = await (await alice.run_command(general, app, "about")).wait_for_response()
        assert about.ephemeral
        [embed] = about.embeds
        assert embed["title"] == "Hangman Bot"
        assert any(field["name"] == "Version" for field in embed.get("fields", []))

        await alice.send(general, "h!ping")
        reply = await general.wait_for_message(author=app)
        assert reply.content.startswith("🏓 Pong!")

        await alice.send(general, "!ping")
        await alice.send(general, "h!nosuchcommand")
        await alice.send(general, "h!ping")
        second = await general.wait_for_message(author=app)
        assert second.content.startswith("🏓 Pong!"), (
            "other prefixes and unknown commands stay silent"
        )


async def test_development_server_gets_the_commands_at_once(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    tmp_path: Path,
) -> None:
    settings = make_settings(
        bot=BotSection(
            prefix="h!", guild_ready_timeout=0.05, data_dir=str(tmp_path), sync_guild=guild.id
        )
    )
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, settings):
        assert app.global_commands == {}, "global commands are left alone"
        synced = {command.name for command in app.guild_commands[guild.id].values()}
        assert {"ping", "about", "hangman"} <= synced
        assert (tmp_path / f"commands-{app.id}-guild-{guild.id}.sha256").is_file()
        ping = await (await alice.run_command(general, app, "ping")).wait_for_response()
        assert ping.content.startswith("🏓 Pong!")
    async with running(discord_sandbox, app, settings, probe=Probe()):
        synced_again = {command.name for command in app.guild_commands[guild.id].values()}
        assert synced_again == synced | {"explode", "refuse", "feedback", "purge", "pages"}


async def test_second_start_does_not_sync_unchanged_commands(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    async with running(discord_sandbox, app, settings):
        first_ids = set(app.global_commands)
    app.global_commands.clear()
    async with running(discord_sandbox, app, settings):
        assert app.global_commands == {}, "an unchanged tree is not uploaded again"
    assert first_ids


async def test_rate_limit_answers_with_a_relative_time(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(rate_limits=RateLimitsSection(commands_per_user=2, time_window=60))
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    async with running(discord_sandbox, app, settings):
        for _ in range(2):
            answer = await (await alice.run_command(general, app, "ping")).wait_for_response()
            assert answer.content.startswith("🏓")
        limited = await (await alice.run_command(general, app, "ping")).wait_for_response()
        assert limited.ephemeral
        assert "too fast" in limited.content
        assert re.search(r"<t:\d+:R>", limited.content)
        other = await (await bob.run_command(general, app, "ping")).wait_for_response()
        assert other.content.startswith("🏓"), "each member has a budget of their own"

        sent = await alice.send(general, "h!ping")
        refused = await general.wait_for_message(author=app)
        assert "too fast" in refused.content, "/ping and h!ping spend one budget"
        assert refused.referenced_message_id == sent.id


async def test_errors_are_logged_by_their_command_and_answered_privately(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, make_settings(), probe=Probe()) as bot:
        with caplog.at_level(logging.ERROR, logger="botfleet.core.errors"):
            answer = await (await alice.run_command(general, app, "explode")).wait_for_response()
        assert answer.ephemeral
        assert "Something went wrong" in answer.content
        assert "database on fire" not in answer.content
        reference = re.search(r"reference `([0-9a-f]+)`", answer.content)
        assert reference is not None
        [record] = [r for r in caplog.records if reference.group(1) in r.getMessage()]
        assert record.exc_info is not None
        assert "database on fire" in str(record.exc_info[1])
        assert str(alice.id) in record.getMessage()

        handle = await alice.run_command(general, app, "refuse")
        deferred = await handle.wait_for_response()
        assert deferred.deferred
        followup = await handle.wait_for_followup()
        assert followup.content == "That word was already guessed."
        assert followup.ephemeral

        opener = await alice.run_command(general, app, "feedback")
        modal = await opener.wait_for_modal()
        [field] = [
            child["custom_id"]
            for row in modal["components"]
            for child in row.get("components", [row.get("component", {})])
            if child.get("type") == 4
        ]
        with caplog.at_level(logging.INFO, logger="botfleet.core.errors"):
            submitted = await alice.submit_modal(opener, {field: "ok"})
            refused = await submitted.wait_for_response()
        assert refused.ephemeral and refused.content == "Say a little more."
        [record] = [r for r in caplog.records if "form refused for user" in r.getMessage()]
        assert record.getMessage().startswith("/feedback form refused for user ")
        assert "/?" not in record.getMessage()

        pager = await (await alice.run_command(general, app, "pages")).wait_for_response()
        assert pager.message is not None
        [button] = pager.message.components[0]["components"]
        await (await alice.click(pager.message, button["custom_id"])).wait_for_response()
        assert alice.id not in bot.form_openers, "a press closes the remembered form"


async def test_views_time_out_before_the_bot_disconnects(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    probe = Probe()
    async with running(discord_sandbox, app, make_settings(), probe=probe) as bot:
        shown = await (await alice.run_command(general, app, "pages")).wait_for_response()
        assert shown.message is not None
        [button] = shown.message.components[0]["components"]
        assert not button.get("disabled")
        await until(lambda: len(bot.live_views()) == 1)  # stored once Discord's answer is read
    [pager] = probe.pagers
    assert pager.expired_while_open is True
    assert pager.is_finished()
    [button] = shown.message.components[0]["components"]
    assert button["disabled"] is True, "the member sees the buttons expire"


class StateKeeper(commands.Cog):
    """Saves its state when unloaded, as the Music Bot's player cog saves its players, and
    awards the XP its last game earned, which the write-behind buffers."""

    def __init__(self, bot: FleetBot, guild_id: int, player_id: int) -> None:
        self.bot = bot
        self.guild_id = guild_id
        self.player_id = player_id

    async def cog_unload(self) -> None:
        async with self.bot.database.session() as session:
            session.add(Guild(id=self.guild_id, name="saved at shutdown"))
            await session.commit()
        await self.bot.gamification.xp.award_xp(self.player_id, 40, "game finished at shutdown")


async def test_cogs_save_their_state_before_the_xp_and_database_close(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    player_id = 4242
    settings = make_settings()
    async with running(discord_sandbox, app, settings) as bot:
        await bot.add_cog(StateKeeper(bot, guild.guild.id, player_id))
    assert bot.cogs == {}
    assert bot.extensions == {}
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            saved = await session.get(Guild, guild.guild.id)
            player = await session.get(User, player_id)
    finally:
        await database.dispose()
    assert saved is not None
    assert saved.name == "saved at shutdown"
    assert player is not None, "the XP awarded while unloading was saved, not lost"
    assert player.total_xp == 40


async def test_permission_levels_from_roles_permissions_and_config(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    helpers = guild.add_role("Helpers")
    stewards = guild.add_role("Stewards")
    impostors = guild.add_role("Stewards")
    impostor = guild.add_member("impostor", roles=[impostors])
    administrators = guild.add_role("Administrators", permissions=Permission.ADMINISTRATOR)
    administrator = guild.add_member("administrator", roles=[administrators])
    kicker = guild.add_role("Kickers", permissions=Permission.KICK_MEMBERS)
    plain = guild.add_member("plain")
    helper = guild.add_member("helper", roles=[helpers])
    kicking = guild.add_member("kicking", roles=[kicker])
    steward = guild.add_member("steward", roles=[stewards])
    owner_of_bot = guild.add_member("maintainer")
    general = guild.channel("general")
    settings = make_settings(
        permissions=PermissionsSection(moderator_roles=[helpers.id], admin_roles=[stewards.id]),
        bot=BotSection(
            prefix="h!",
            guild_ready_timeout=0.05,
            owner_ids=[owner_of_bot.id],
            data_dir=str(make_settings().bot.data_dir),
        ),
    )
    async with running(discord_sandbox, app, settings, probe=Probe()):
        for member in (plain, impostor):
            refused = await (await member.run_command(general, app, "purge")).wait_for_response()
            assert refused.ephemeral
            assert refused.content == "🔒 This command is for moderators and above.", member.name
        for member in (helper, kicking, steward, administrator, guild.owner, owner_of_bot):
            allowed = await (await member.run_command(general, app, "purge")).wait_for_response()
            assert allowed.content == "purged", member.name

        await helper.send(general, "h!configure")
        denied = await general.wait_for_message(author=app)
        assert denied.content == "🔒 This command is for admins and above."
        for member in (steward, administrator, guild.owner):
            await member.send(general, "h!configure")
            assert (await general.wait_for_message(author=app)).content == "configured"

        await steward.send(general, "h!sync")
        assert "bot owners" in (await general.wait_for_message(author=app)).content
        await owner_of_bot.send(general, "h!sync")
        # The sixth bot message in five seconds waits for Discord's per-channel bucket.
        synced = await general.wait_for_message(author=app, timeout=15)
        assert re.fullmatch(r"Synced \d+ slash commands\.", synced.content)


async def test_a_broken_extension_is_skipped(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    definition = BotDefinition(
        name="hangman",
        display_name="Hangman Bot",
        prefix="h!",
        options_model=NoOptions,
        extensions=("botfleet.bots.hangman.no_such_extension",),
    )
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, make_settings(), definition=definition) as bot:
        assert list(bot.failed_extensions) == ["botfleet.bots.hangman.no_such_extension"]
        assert app.global_commands == {}, "a partial tree is never synced over the full one"
        await alice.send(general, "h!ping")
        assert (await general.wait_for_message(author=app)).content.startswith("🏓")


async def test_timers_fire_after_ready_even_when_overdue_at_start(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    probe = Probe()
    async with running(discord_sandbox, app, settings, probe=probe) as bot:
        await bot.scheduler.schedule(timedelta(hours=1), "probe", {"user_id": 1})
        await bot.scheduler.schedule(
            datetime.now(UTC) + timedelta(seconds=0.2), "probe", {"user_id": 2}
        )
        await asyncio.wait_for(probe.timer_fired.wait(), 5)
        assert [timer.payload["user_id"] for timer in probe.timers] == [2]
    assert not bot.scheduler.running

    second_probe = Probe()
    later = FleetBot(HANGMAN, settings)
    await later.add_cog(second_probe)
    await later.database.prepare()
    writer = Scheduler(later.database, later.dispatch, bot_name="hangman", memory_threshold=0)
    await writer.schedule(datetime.now(UTC) + timedelta(seconds=0.05), "probe", {"user_id": 3})
    await asyncio.sleep(0.1)
    async with discord_sandbox.run_client(later, app):
        await asyncio.wait_for(second_probe.timer_fired.wait(), 5)
    assert [timer.payload["user_id"] for timer in second_probe.timers] == [3]


async def test_timers_that_cannot_start_are_logged_not_lost(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = FleetBot(HANGMAN, make_settings())

    async def unreachable() -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr(bot.scheduler, "start", unreachable)
    with caplog.at_level(logging.ERROR, logger="botfleet.core.bot"):
        async with discord_sandbox.run_client(bot, app):
            await bot.wait_until_ready()
            assert bot._timers_task is not None
            await bot._timers_task
    [record] = [r for r in caplog.records if "timers could not start" in r.getMessage()]
    assert record.exc_info is not None and isinstance(record.exc_info[1], ConnectionError)


async def test_application_owner_is_bot_owner(
    discord_sandbox: DiscordSandbox, make_settings: SettingsFactory
) -> None:
    guild = discord_sandbox.create_guild("Word Games")
    maintainer = guild.add_member("maintainer")
    stranger = guild.add_member("stranger")
    app = discord_sandbox.add_application("Hangman Bot", owner=maintainer.user)
    guild.add_bot(app)
    general = guild.channel("general")
    async with running(discord_sandbox, app, make_settings()):
        await stranger.send(general, "h!sync")
        assert "bot owners" in (await general.wait_for_message(author=app)).content
        await maintainer.send(general, "h!sync")
        synced = await general.wait_for_message(author=app)
        assert synced.content.startswith("Synced ")


async def test_help_lists_every_command_without_spending_their_budgets(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(rate_limits=RateLimitsSection(commands_per_user=2, time_window=60))
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, settings, probe=Probe()) as bot:
        await alice.send(general, "h!help")
        listing = await general.wait_for_message(author=app)
        [embed] = listing.embeds
        assert embed["title"] == "Hangman Bot: commands"
        groups = {field["name"]: field["value"].splitlines() for field in embed["fields"]}
        assert "`/ping` · `h!ping`: Check that the bot answers, and how fast." in groups["Fleet"]
        assert "`/about`: What this bot is, its version and uptime." in groups["Fleet"]
        assert not any("sync" in line for line in groups["Fleet"]), "owner-only, hidden"
        assert "`/explode`: Fails unexpectedly." in groups["Probe"]
        assert "`h!configure`: no description" in groups["Probe"]
        assert "`h!help`: Shows this message" in groups["Other"]
        slash = [
            command
            for command in bot.tree.walk_commands()
            if isinstance(command, app_commands.Command)
        ]
        listed = "\n".join(field["value"] for field in embed["fields"])
        assert len(slash) > 10
        for command in slash:
            assert f"`/{command.qualified_name}`" in listed, command.qualified_name
        assert len(listed.splitlines()) == len({line for line in listed.splitlines()})
        await alice.send(general, "h!help")
        again = await general.wait_for_message(author=app)
        assert again.embeds == listing.embeds, "help spends no budget"
        await alice.send(general, "h!ping")
        assert (await general.wait_for_message(author=app)).content.startswith("🏓")


class HandledProbe(commands.Cog):
    """A command with its own error handler: the shared handler must stay silent."""

    @app_commands.command(name="fragile", description="Fails and handles it itself.")
    async def fragile(self, interaction: discord.Interaction[FleetBot]) -> None:
        raise RuntimeError("handled below")

    @fragile.error
    async def fragile_error(
        self, interaction: discord.Interaction[FleetBot], error: app_commands.AppCommandError
    ) -> None:
        await interaction.response.send_message("handled by the command", ephemeral=True)


async def test_command_error_handler_is_not_answered_twice(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    bot = FleetBot(HANGMAN, make_settings())
    await bot.add_cog(HandledProbe())
    async with discord_sandbox.run_client(bot, app):
        with caplog.at_level(logging.ERROR, logger="botfleet.core.errors"):
            handle = await alice.run_command(general, app, "fragile")
            answer = await handle.wait_for_response()
            await asyncio.sleep(0.2)
        assert answer.content == "handled by the command"
        assert handle.interaction.followup_message_ids == []
        assert not [r for r in caplog.records if "fragile" in r.getMessage()]


async def test_unknown_options_are_refused_at_start(make_settings: SettingsFactory) -> None:
    plain = BotDefinition(
        name="hangman", display_name="Plain Bot", prefix="p!", options_model=NoOptions
    )
    with pytest.raises(ConfigError, match="options: the Plain Bot has none"):
        FleetBot(plain, make_settings(options={"lives": 7}))


class SlowProbe(commands.Cog):
    """A command that misses Discord's first-response window, then fails for the member."""

    @app_commands.command(name="slow", description="Answers too late.")
    async def slow(self, interaction: discord.Interaction[FleetBot]) -> None:
        await asyncio.sleep(0.5)
        raise UserError("No game is running in this channel.")


@pytest.mark.parametrize("discord_sandbox_options", [{"interaction_deadline": 0.2}])
async def test_error_after_the_deadline_is_told_in_the_channel(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    bot = FleetBot(HANGMAN, make_settings())
    await bot.add_cog(SlowProbe())
    async with discord_sandbox.run_client(bot, app):
        await alice.run_command(general, app, "slow")
        told = await general.wait_for_message(author=app)
    assert told.content == f"{alice.mention} No game is running in this channel."


async def test_bot_rides_out_a_429_and_a_dropped_gateway(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with running(discord_sandbox, app, make_settings()):
        limited = discord_sandbox.force_rate_limit(
            "POST /channels/{channel_id}/messages", retry_after=0.3
        )
        await alice.send(general, "h!ping")
        reply = await general.wait_for_message(author=app, timeout=10)
        assert reply.content.startswith("🏓")
        assert limited.hits == 1, "the first attempt was refused and retried"

        assert await discord_sandbox.drop_gateway(app) == 1
        await alice.send(general, "h!ping")
        after_resume = await general.wait_for_message(author=app, timeout=15)
        assert after_resume.content.startswith("🏓"), "events missed while away are replayed"


async def test_a_redis_refusing_the_bot_ends_the_login_with_its_error(
    discord_sandbox: DiscordSandbox,
    app: Application,
    make_settings: SettingsFactory,
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error that is no outage (an ACL refusing the bot's commands) ends the login with
    the error, as before Redis connected during the login, instead of every identify failing
    and being retried for ever."""

    async def refused(self: ResilientRedis) -> None:
        raise NoPermissionError("NOPERM this user has no permissions to run the 'ping' command")

    monkeypatch.setattr(ResilientRedis, "warm_up", refused)
    cache = CacheSection(redis_url=SecretStr(redis_url), key_prefix=redis_prefix)
    with pytest.raises(RuntimeError, match="stopped before it was ready") as stopped:
        async with running(discord_sandbox, app, make_settings(cache=cache)):
            pass
    assert isinstance(stopped.value.__cause__, NoPermissionError)


async def test_a_login_failing_before_redis_is_awaited_reports_redis_s_error_once(
    discord_sandbox: DiscordSandbox,
    app: Application,
    make_settings: SettingsFactory,
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``setup_hook`` fails (the database unreachable) after Redis's set-up, begun first, has
    failed too: the login ends with the database's error, and Redis's is logged once as well,
    not left for asyncio to report as "Task exception was never retrieved" (nor dropped)."""
    redis_failed = asyncio.Event()

    async def refused(self: ResilientRedis) -> None:
        redis_failed.set()
        raise NoPermissionError("NOPERM this user has no permissions to run the 'ping' command")

    async def unreachable(self: Database) -> None:
        await redis_failed.wait()
        for _ in range(5):  # a few turns of the loop: Redis's set-up ends with its error
            await asyncio.sleep(0)
        raise OSError("the database is unreachable")

    monkeypatch.setattr(ResilientRedis, "warm_up", refused)
    monkeypatch.setattr(Database, "prepare", unreachable)
    cache = CacheSection(redis_url=SecretStr(redis_url), key_prefix=redis_prefix)
    unhandled: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    try:
        # The stand-in's log record of the failed login would hold the bot and its tasks.
        monkeypatch.setattr(logging.getLogger("botfleet.sandbox.server"), "disabled", True)
        with pytest.raises(RuntimeError, match="stopped before it was ready") as stopped:
            async with running(discord_sandbox, app, make_settings(cache=cache)):
                pass
        assert isinstance(stopped.value.__cause__, OSError)
        del stopped  # its traceback holds them too
        gc.collect()  # a task whose error nobody retrieved says so when it is freed
    finally:
        loop.set_exception_handler(previous)
    assert [context["message"] for context in unhandled] == []
    refusals = [record for record in caplog.records if "NOPERM" in record.getMessage()]
    assert [record.levelno for record in refusals] == [logging.WARNING]


async def test_redis_connects_while_the_login_goes_on_and_before_the_bot_identifies(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Redis whose connections wait for the first extension to load: the extensions load
    meanwhile, and the gateway identifies (after which events arrive) only once the cache
    hears the other processes' invalidations and the identify gate has its connection."""
    steps: list[str] = []
    connect = AbstractConnection.connect_check_health
    extension_loaded = asyncio.Event()

    async def slow_connect(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        if self.is_connected:
            return
        steps.append("redis connecting")
        with contextlib.suppress(TimeoutError):  # a login that waits for Redis never loads one
            await asyncio.wait_for(extension_loaded.wait(), 5)
        await connect(self, *args, **kwargs)
        steps.append("redis connected")

    load = FleetBot.load_extension

    async def noted_load(self: FleetBot, name: str, *, package: str | None = None) -> None:
        await load(self, name, package=package)
        steps.append("extension loaded")
        extension_loaded.set()

    take_turn = IdentifyGate.wait_turn

    async def noted_turn(self: IdentifyGate, application_id: int | None, shard_id: int) -> None:
        steps.append("identify")
        await take_turn(self, application_id, shard_id)

    monkeypatch.setattr(AbstractConnection, "connect_check_health", slow_connect)
    monkeypatch.setattr(FleetBot, "load_extension", noted_load)
    monkeypatch.setattr(IdentifyGate, "wait_turn", noted_turn)
    cache = CacheSection(redis_url=SecretStr(redis_url), key_prefix=redis_prefix)
    async with running(discord_sandbox, app, make_settings(cache=cache)) as bot:
        assert bot.cache.listening
        at_ready = list(steps)
    assert at_ready.index("extension loaded") < at_ready.index("redis connected"), at_ready
    before_identify = at_ready[: at_ready.index("identify")]
    assert before_identify.count("redis connected") == 2, at_ready  # pub/sub and the gate's
    assert "redis connecting" not in at_ready[len(before_identify) :], at_ready


@pytest.mark.parametrize("shard_count", [None, 1], ids=["shards chosen by Discord", "configured"])
async def test_the_login_asks_for_the_gateway_once_and_learns_the_identify_concurrency(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    shard_count: int | None,
) -> None:
    """discord.py asks ``GET /gateway/bot`` itself when it chooses the shard count: the
    identify concurrency is read from its answer, not asked for a second time."""
    app.max_concurrency = 16
    asked: list[str] = []
    request = HTTPClient.request

    async def noted(self: HTTPClient, route: Route, **kwargs: Any) -> Any:
        asked.append(f"{route.method} {route.path}")
        return await request(self, route, **kwargs)

    monkeypatch.setattr(HTTPClient, "request", noted)
    settings = make_settings(
        bot=BotSection(
            prefix="h!",
            guild_ready_timeout=0.05,
            data_dir=str(make_settings().bot.data_dir),
            shard_count=shard_count,
        )
    )
    async with running(discord_sandbox, app, settings) as bot:
        assert bot.identify_gate.max_concurrency == 16
    assert asked.count("GET /gateway/bot") == 1, asked


async def test_the_last_synced_commands_are_read_while_the_extensions_load(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The digest of the last sync is a file read in a thread: begun with the start, it is
    there when the extensions have loaded, and the login does not wait for it after them."""
    read = threading.Event()
    read_digest = TreeSyncer._read

    def noted_read(self: TreeSyncer) -> str | None:
        try:
            return read_digest(self)
        finally:
            read.set()

    load = FleetBot.load_extension
    read_before_the_last_extension: list[bool] = []

    async def loading(self: FleetBot, name: str, *, package: str | None = None) -> None:
        if name == XP_EXTENSION:
            for _ in range(200):
                if read.is_set():
                    break
                await asyncio.sleep(0.01)
            read_before_the_last_extension.append(read.is_set())
        await load(self, name, package=package)

    monkeypatch.setattr(TreeSyncer, "_read", noted_read)
    monkeypatch.setattr(FleetBot, "load_extension", loading)
    async with running(discord_sandbox, app, make_settings()):
        pass
    assert read_before_the_last_extension == [True]
