"""The gamification Discord layer end to end: real discord.py bots against the local stand-in.

Members chat and run commands; the Utility Bot (the default host of the commands) and the Mod
Bot share one SQLite database, as two bot processes of the fleet share one database.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import MOD, fleet, shared_file_settings
from PIL import Image

from botfleet.bots.hangman.bot import DEFINITION as HANGMAN
from botfleet.bots.utility.bot import DEFINITION as UTILITY
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Message,
    MessageBlockedError,
    SandboxGuild,
)
from botfleet.sandbox.resources.automod import ActionType, AutoModRule, EventType, TriggerType
from botfleet.sandbox.scripting import wait_until

SettingsFactory = Callable[..., Settings]
LEVEL_UP = "reached **level 2**"


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings of one bot on the test's shared SQLite file; XP saved every 50 ms."""

    def build(bot_name: str = "utility", **gamification: Any) -> Settings:
        return shared_file_settings(tmp_path, bot_name, gamification)

    return build


async def saved(*bots: FleetBot) -> None:
    """Save what every bot buffered, as their background saves would a moment later."""
    for bot in bots:
        await bot.gamification.xp.flush()


async def reaches(bot: FleetBot, user_id: int, guild_id: int, total_xp: int) -> None:
    """Wait until the member's saved XP is ``total_xp``: completion events come after answers."""
    for _ in range(100):
        await saved(bot)
        if (await bot.gamification.xp.profile(user_id, guild_id)).progress.total_xp == total_xp:
            return
        await asyncio.sleep(0.05)
    profile = await bot.gamification.xp.profile(user_id, guild_id)
    raise AssertionError(f"expected {total_xp} XP, the member has {profile.progress.total_xp}")


def announcements(messages: list[Message]) -> list[Message]:
    return [message for message in messages if LEVEL_UP in message.content]


async def test_chat_earns_xp_once_across_two_bots_and_one_announcement(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    mod_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    rates = {"message_xp_min": 150, "message_xp_max": 150, "message_cooldown_seconds": 600}
    async with fleet(
        discord_sandbox,
        (UTILITY, utility_app, make_settings(**rates)),
        (MOD, mod_app, make_settings("mod", **rates)),
    ) as bots:
        assert all(bot.failed_extensions == {} for bot in bots)
        await alice.send(general, "hello everyone")
        announcement = await general.wait_for_message(
            check=lambda message: LEVEL_UP in message.content
        )
        assert f"<@{alice.id}>" in announcement.content
        await alice.send(general, "still inside the cooldown")
        await saved(*bots)
        for bot in bots:
            profile = await bot.gamification.xp.profile(alice.id, guild.id)
            assert profile.progress.total_xp == 150, "two bots heard it, it counted once"
            assert profile.progress.level == 2
    assert len(announcements(general.messages())) == 1


async def test_a_message_discord_writes_in_a_members_name_earns_nothing(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    """An AutoMod alert is posted as the member whose message was blocked: it is no chat."""
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    alerts = guild.add_text_channel("automod-alerts")
    guild_state = discord_sandbox.state.guilds[guild.id]
    rules = discord_sandbox.state.rules_of(guild_state)
    rules[1] = AutoModRule(
        id=1,
        guild_id=guild.id,
        name="No scams",
        creator_id=guild.owner.id,
        event_type=EventType.MESSAGE_SEND,
        trigger_type=TriggerType.KEYWORD,
        trigger_metadata={"keyword_filter": ["free nitro"]},
        actions=[
            {"type": ActionType.BLOCK_MESSAGE, "metadata": {}},
            {"type": ActionType.SEND_ALERT_MESSAGE, "metadata": {"channel_id": str(alerts.id)}},
        ],
        enabled=True,
    )
    rates = {"message_xp_min": 150, "message_xp_max": 150, "message_cooldown_seconds": 600}
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings(**rates))) as [bot]:
        with pytest.raises(MessageBlockedError):
            await alice.send(general, "get your FREE NITRO here")
        await alerts.wait_for_message(author=alice)
        await bob.send(general, "hello")  # heard after the alert: once it counts, the alert was
        await reaches(bot, bob.id, guild.id, 150)
        profile = await bot.gamification.xp.profile(alice.id, guild.id)
        assert profile.progress.total_xp == 0


async def test_chat_level_ups_and_achievements_are_announced_by_the_host_bot_only(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    tmp_path: Path,
) -> None:
    """The Hangman Bot saves the message first (the host's save waits): the host announces."""
    hangman_app = discord_sandbox.add_application("Hangman Bot")
    guild.add_bot(hangman_app)
    alice = guild.add_member("alice")
    general = guild.channel("general")
    rates = {"message_xp_min": 150, "message_xp_max": 150, "message_cooldown_seconds": 600}
    host = shared_file_settings(tmp_path, "utility", {**rates, "flush_interval": 60})
    hangman = shared_file_settings(tmp_path, "hangman", rates)
    async with fleet(
        discord_sandbox, (UTILITY, utility_app, host), (HANGMAN, hangman_app, hangman)
    ) as bots:
        assert all(bot.failed_extensions == {} for bot in bots)
        await alice.send(general, "m!help")

        def announced() -> list[Message] | None:
            said = [
                message
                for message in general.messages()
                if "First Words" in message.content or LEVEL_UP in message.content
            ]
            return said if len(said) == 2 else None

        said = await wait_until(
            discord_sandbox,
            announced,
            timeout=10,
            describe_failure=lambda: f"two announcements in {general.messages()}",
        )
        for announcement in said:
            assert announcement.author.id == utility_app.bot_user.id
            assert f"<@{alice.id}>" in announcement.content
    from_hangman = [
        message.content
        for message in general.messages()
        if message.author.id == hangman_app.bot_user.id
    ]
    assert from_hangman == []


async def test_commands_earn_xp_slash_and_prefix_alike(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = make_settings(command_xp=7, message_xp_min=0, message_xp_max=0)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        await (await alice.run_command(general, utility_app, "ping")).wait_for_response()
        await alice.send(general, "u!ping")
        await general.wait_for_message(author=utility_app)
        await reaches(bot, alice.id, guild.id, 14)
        commands_rank = await bot.gamification.leaderboards.rank_of(
            alice.id, "commands", "all_time", guild_id=guild.id
        )
        assert commands_rank is not None
        assert commands_rank.value == 2


async def test_announcements_follow_the_guild_choice(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    carol = guild.add_member("carol")
    general = guild.channel("general")
    levels = guild.add_text_channel("levels")
    settings = make_settings(message_xp_min=150, message_xp_max=150)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        handle = await owner.run_command(
            general,
            utility_app,
            "levels",
            {"mode": "chosen_channel", "channel": levels},
            subcommand="config announcements",
        )
        answer = await handle.wait_for_response()
        assert answer.ephemeral
        assert "Level-ups are announced in a chosen channel" in answer.content
        await alice.send(general, "hi")
        in_levels = await levels.wait_for_message(author=utility_app)
        assert f"<@{alice.id}> {LEVEL_UP}" in in_levels.content

        await (
            await owner.run_command(
                general, utility_app, "levels", {"mode": "dm"}, subcommand="config announcements"
            )
        ).wait_for_response()
        await bob.send(general, "hi")
        direct = await bob.dm_with(utility_app).wait_for_message(author=utility_app)
        assert "You reached **level 2** in **Word Games**" in direct.content

        await (
            await owner.run_command(
                general, utility_app, "levels", {"mode": "off"}, subcommand="config announcements"
            )
        ).wait_for_response()
        await carol.send(general, "hi")
        await reaches(bot, carol.id, guild.id, 150)
    assert announcements(general.messages()) == []
    assert len(announcements(levels.messages())) == 1
    assert announcements(carol.dm_with(utility_app).messages()) == []


async def test_chosen_channel_needs_a_channel(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())):
        handle = await guild.owner.run_command(
            general,
            utility_app,
            "levels",
            {"mode": "chosen_channel"},
            subcommand="config announcements",
        )
        answer = await handle.wait_for_response()
        assert answer.ephemeral
        assert "Pick the `channel`" in answer.content


async def test_rank_card_is_a_png_of_the_member(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    mod_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        await bot.gamification.xp.give_xp(guild.id, bob.id, 250, actor_id=guild.owner.id)
        handle = await alice.run_command(general, utility_app, "rank", {"member": bob})
        assert (await handle.wait_for_response()).deferred
        card = await handle.wait_for_message()
        [attachment] = card.attachments
        assert attachment.filename == "rank.png"
        assert attachment.description == (
            "Rank card of bob: level 2, rank #1, 150 of 155 XP towards level 3, 250 XP in total."
        )
        with Image.open(io.BytesIO(attachment.data)) as image:
            assert image.format == "PNG"
            assert image.size == (934, 282)

        refused = await (
            await alice.run_command(
                general, utility_app, "rank", {"member": guild.member(mod_app.bot_user.username)}
            )
        ).wait_for_response()
        assert refused.ephemeral
        assert "Bots don't earn XP" in refused.content


async def test_leaderboard_pages_with_buttons_and_own_rank_off_the_page(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    members = [guild.add_member(f"player{number}") for number in range(12)]
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        for number, member in enumerate(members):
            await bot.gamification.xp.give_xp(
                guild.id, member.id, 1000 - number * 10, actor_id=guild.owner.id
            )
        last = members[-1]
        handle = await last.run_command(general, utility_app, "leaderboard")
        answer = await handle.wait_for_response()
        [embed] = answer.embeds
        assert embed["description"].count("\n") == 9, "ten members on the first page"
        assert f"<@{members[0].id}> — 1,000 XP" in embed["description"]
        assert f"<@{last.id}>" not in embed["description"]
        [yours] = embed["fields"]
        assert yours["value"] == "#12 of 12 with 890 XP"
        assert "Page 1/2" in embed["footer"]["text"]
        assert answer.message is not None
        previous_id, next_id = answer.message.custom_ids

        stranger = await members[0].click(answer.message, next_id)
        refusal = await stranger.wait_for_response()
        assert refusal.ephemeral
        assert "belong to whoever opened" in refusal.content

        turned = await last.click(answer.message, next_id)
        await turned.wait_for_response()
        [page_two] = answer.message.embeds
        assert f"<@{last.id}> — 890 XP" in page_two["description"]
        assert "Page 2/2" in page_two["footer"]["text"]
        buttons = {item.get("custom_id"): item for item in answer.message.iter_components()}
        assert buttons[next_id]["disabled"] is True
        assert buttons[previous_id]["disabled"] is False


async def test_leaderboard_by_period_and_category_when_empty(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())):
        handle = await alice.run_command(
            general, utility_app, "leaderboard", {"category": "wins", "period": "weekly"}
        )
        [embed] = (await handle.wait_for_response()).embeds
        assert "Nobody is on this board yet" in embed["description"]
        assert embed["fields"][0]["value"] == "You are not on this board yet."
        assert "weekly" in embed["footer"]["text"]


async def test_leaderboard_everywhere_ranks_members_of_every_server(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    other = discord_sandbox.create_guild("Chess Club", bots=[utility_app])
    alice = guild.add_member("alice")
    bob = other.add_member("bob_the_*builder*")
    general = guild.channel("general")
    settings = make_settings(message_xp_min=300, message_xp_max=300)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        await bot.gamification.xp.award_xp(alice.id, 100, "quiz", guild_id=guild.id)
        await bob.send(other.channel("general"), "check")  # earning XP stores the username
        await reaches(bot, bob.id, other.id, 300)
        here = await (
            await alice.run_command(general, utility_app, "leaderboard")
        ).wait_for_response()
        assert "bob" not in here.embeds[0]["description"]
        handle = await alice.run_command(general, utility_app, "leaderboard", {"everywhere": True})
        [embed] = (await handle.wait_for_response()).embeds
        assert embed["title"].startswith("🏆 All servers")
        lines = embed["description"].splitlines()
        assert lines[0] == "🥇 bob\\_the\\_\\*builder\\* — 300 XP", "no mention outside his server"
        assert lines[1] == f"🥈 <@{alice.id}> — 100 XP", "a mention where it renders"
        assert embed["fields"][0]["value"] == "#2 of 2 with 100 XP"


async def test_achievements_show_progress_bars(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        definitions = await bot.gamification.achievements.definitions()
        granted = definitions[0]
        await bot.gamification.achievements.grant(alice.id, granted.name, guild_id=guild.id)
        answer = await (
            await alice.run_command(general, utility_app, "achievements")
        ).wait_for_response()
        [embed] = answer.embeds
        assert embed["title"] == "Achievements of alice"
        first_line = embed["description"].splitlines()[0]
        assert granted.name in first_line
        assert "✅" in first_line
        assert "▱" in embed["description"], "the others show a progress bar"
        assert embed["footer"]["text"].startswith(f"1/{len(definitions)} unlocked")


async def test_xp_admin_commands_need_admin_and_write_the_audit_log(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = guild.owner
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        denied = await (
            await alice.run_command(
                general, utility_app, "xp", {"member": alice, "amount": 500}, subcommand="give"
            )
        ).wait_for_response()
        assert denied.ephemeral
        assert denied.content.startswith("🔒")

        with caplog.at_level(logging.INFO, logger="botfleet.gamification.audit"):
            handle = await owner.run_command(
                general,
                utility_app,
                "xp",
                {"member": alice, "amount": 500, "reason": "won the quiz"},
                subcommand="give",
            )
            given = await handle.wait_for_followup()
        assert given.ephemeral
        assert "now has **500 XP** (level 4; was 0 XP, level 1)" in given.content
        [line] = [r.getMessage() for r in caplog.records if r.name == "botfleet.gamification.audit"]
        assert str(alice.id) in line
        assert "won the quiz" in line

        taken = await (
            await owner.run_command(
                general, utility_app, "xp", {"member": alice, "amount": 450}, subcommand="take"
            )
        ).wait_for_followup()
        assert "now has **50 XP**" in taken.content
        reset = await (
            await owner.run_command(
                general, utility_app, "xp", {"member": alice}, subcommand="reset"
            )
        ).wait_for_followup()
        assert "now has **0 XP** (level 1" in reset.content
        assert (await bot.gamification.xp.profile(alice.id, guild.id)).progress.total_xp == 0


async def test_level_role_rewards_follow_xp_and_respect_the_hierarchy(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    regular = guild.add_role("Regular", position=1)
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    above_bot = guild.add_role("Staff")
    settings = make_settings(message_xp_min=150, message_xp_max=150)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)):
        refused = await (
            await owner.run_command(
                general,
                utility_app,
                "levels",
                {"level": 3, "role": above_bot},
                subcommand="config reward-add",
            )
        ).wait_for_response()
        assert refused.ephemeral
        assert "above my highest role" in refused.content

        added = await (
            await owner.run_command(
                general,
                utility_app,
                "levels",
                {"level": 2, "role": regular},
                subcommand="config reward-add",
            )
        ).wait_for_response()
        assert "Members reaching level 2 get" in added.content

        await alice.send(general, "hello")
        await general.wait_for_message(check=lambda message: LEVEL_UP in message.content)
        await wait_until(
            discord_sandbox,
            lambda: True if regular in alice.roles else None,
            timeout=10,
            describe_failure=lambda: "waiting for alice's level 2 reward role",
        )

        given = await (
            await owner.run_command(
                general, utility_app, "xp", {"member": bob, "amount": 120}, subcommand="give"
            )
        ).wait_for_followup()
        assert "Reward roles: +" in given.content
        assert regular in bob.roles
        await (
            await owner.run_command(general, utility_app, "xp", {"member": bob}, subcommand="reset")
        ).wait_for_followup()
        assert regular not in bob.roles, "a reset takes the level rewards away"


async def test_config_commands_validate_and_change_the_rules(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    alice = guild.add_member("alice")
    muted = guild.add_role("Muted")
    bob = guild.add_member("bob", roles=[muted])
    carol = guild.add_member("carol")
    general = guild.channel("general")
    quiet = guild.add_text_channel("quiet")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:

        async def configure(subcommand: str, options: dict[str, Any]) -> str:
            handle = await owner.run_command(
                general, utility_app, "levels", options, subcommand=f"config {subcommand}"
            )
            answer = await handle.wait_for_response()
            assert answer.ephemeral
            return answer.content

        assert "cannot be above" in await configure("rates", {"message_min": 30, "message_max": 10})
        assert "XP rates updated" in await configure(
            "rates", {"message_min": 40, "message_max": 40, "command": 3}
        )
        assert "once every 5 s" in await configure("cooldown", {"seconds": 5})
        assert "earns no XP" in await configure("no-xp-channel", {"channel": quiet})
        assert "earn no XP" in await configure("no-xp-role", {"role": muted})
        config = await bot.gamification.settings.get(guild.id)
        assert (config.message_xp_min, config.message_xp_max, config.command_xp) == (40, 40, 3)
        assert config.message_cooldown_seconds == 5
        assert config.no_xp_channel_ids == {quiet.id}
        assert config.no_xp_role_ids == {muted.id}

        await alice.send(quiet, "nobody hears me")
        await bob.send(general, "muted")
        await carol.send(general, "counted")
        await reaches(bot, carol.id, guild.id, 40)
        await saved(bot)
        assert (await bot.gamification.xp.profile(alice.id, guild.id)).progress.total_xp == 0
        assert (await bot.gamification.xp.profile(bob.id, guild.id)).progress.total_xp == 0

        denied = await (
            await alice.run_command(general, utility_app, "levels", subcommand="config show")
        ).wait_for_response()
        assert denied.content.startswith("🔒")


async def test_only_the_host_bot_registers_the_commands(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    mod_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    async with fleet(
        discord_sandbox,
        (UTILITY, utility_app, make_settings()),
        (MOD, mod_app, make_settings("mod")),
    ):
        hosted = {command.name for command in utility_app.global_commands.values()}
        elsewhere = {command.name for command in mod_app.global_commands.values()}
    assert {"rank", "leaderboard", "achievements", "xp", "levels"} <= hosted
    assert hosted.isdisjoint({"rank", "leaderboard", "achievements", "xp", "levels"} & elsewhere)
    assert "ping" in elsewhere
