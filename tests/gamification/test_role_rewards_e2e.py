"""Reward roles end to end: achievement rewards, and level rewards kept in step by the host bot
(re-joins, XP changes, reward changes, ``/levels resync``), through real discord.py bots against
the local Discord stand-in. The Utility Bot hosts the commands and may manage roles; the Mod Bot
only earns XP and may not."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from fleet_helpers import MOD, fleet, shared_file_settings
from gamification_helpers import eventually

from botfleet.bots.utility.bot import DEFINITION as UTILITY
from botfleet.config.schema import RateLimitsSection, Settings
from botfleet.core.definition import base_intents
from botfleet.gamification.discord.role_sync import RoleSyncer
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Role,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.scripting import wait_until

LEGEND = "Legend"
ROLE_SYNC_LOGGER = "botfleet.gamification.discord.role_sync"
"""A seeded achievement (level 50) that nothing in these tests unlocks but a grant."""

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings on the test's shared SQLite file; saves every 50 ms, re-syncs in batches of 2."""

    def build(bot_name: str = "utility", **gamification: Any) -> Settings:
        quick_resync = {"role_sync_batch_size": 2, "role_sync_pause_seconds": 0.05}
        return shared_file_settings(
            tmp_path,
            bot_name,
            {**quick_resync, **gamification},
            rate_limits=RateLimitsSection(commands_per_user=100),
        )

    return build


async def holds(
    sandbox: DiscordSandbox, member: SandboxMember, role: Role, expected: bool = True
) -> None:
    """Wait until the member holds (or no longer holds) ``role``."""
    await wait_until(
        sandbox,
        lambda: True if (role in member.roles) is expected else None,
        timeout=10,
        describe_failure=lambda: f"{member.name} {'gets' if expected else 'loses'} {role.name}",
    )


async def configure(
    owner: SandboxMember,
    guild: SandboxGuild,
    app: Application,
    subcommand: str,
    options: dict[str, Any] | None = None,
) -> str:
    handle = await owner.run_command(
        guild.channel("general"), app, "levels", options or {}, subcommand=subcommand
    )
    answer = await handle.wait_for_response()
    assert answer.ephemeral
    return answer.content


async def test_achievement_rewards_refuse_roles_the_bot_cannot_hand_out(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    safe = guild.add_role("Wordsmith", position=1)
    moderator = guild.add_role(
        "Helper", permissions=discord.Permissions(ban_members=True, kick_members=True), position=1
    )
    above = guild.add_role("Staff")
    bot_role = guild.role("Mod Bot")
    everyone = guild.role("@everyone")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())):
        add = "config achievement-reward-add"
        for role, reason in (
            (above, "above my highest role"),
            (bot_role, "managed by Discord or an integration"),
            (everyone, "@everyone belongs to every member"),
            (moderator, "grants Ban Members, Kick Members"),
        ):
            refused = await configure(
                owner, guild, utility_app, add, {"achievement": LEGEND, "role": role}
            )
            assert reason in refused, refused
        unknown = await configure(
            owner, guild, utility_app, add, {"achievement": "Nope", "role": safe}
        )
        assert "There is no achievement called “Nope”" in unknown

        accepted = await configure(
            owner, guild, utility_app, add, {"achievement": LEGEND.lower(), "role": safe}
        )
        assert f"Members who unlock **{LEGEND}** get <@&{safe.id}>" in accepted
        handle = await owner.run_command(
            guild.channel("general"), utility_app, "levels", subcommand="config rewards"
        )
        [embed] = (await handle.wait_for_response()).embeds
        assert f"**{LEGEND}**: <@&{safe.id}>" in embed["description"]
        typed = await owner.autocomplete(
            guild.channel("general"),
            utility_app,
            "levels",
            {"achievement": "leg"},
            focused="achievement",
            subcommand="config achievement-reward-remove",
        )
        assert [choice["name"] for choice in await typed.wait_for_choices()] == [LEGEND]
        removed = await configure(
            owner,
            guild,
            utility_app,
            "config achievement-reward-remove",
            {"achievement": LEGEND},
        )
        assert "no longer gives a role" in removed


async def test_an_unlock_gives_its_role_there_or_at_the_next_message_via_the_host(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    mod_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    wordsmith = guild.add_role("Wordsmith", position=1)
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    async with fleet(
        discord_sandbox,
        (UTILITY, utility_app, make_settings()),
        (MOD, mod_app, make_settings("mod")),
    ) as [utility, mod]:
        await configure(
            owner,
            guild,
            utility_app,
            "config achievement-reward-add",
            {"achievement": LEGEND, "role": wordsmith},
        )
        # Unlocked by the host's own save: it gives the role at once.
        await utility.gamification.achievements.grant(alice.id, LEGEND, guild_id=guild.id)
        await holds(discord_sandbox, alice, wordsmith)

        # Unlocked by the Mod Bot, which may not manage roles: the host gives it when bob chats.
        await mod.gamification.achievements.grant(bob.id, LEGEND, guild_id=guild.id)
        await bob.send(general, "what did I win?")
        await holds(discord_sandbox, bob, wordsmith)


async def test_rejoining_members_and_xp_changes_get_their_level_roles_back(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    regular = guild.add_role("Regular", position=1)
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        await configure(
            owner, guild, utility_app, "config reward-add", {"level": 2, "role": regular}
        )
        given = await (
            await owner.run_command(
                general, utility_app, "xp", {"member": alice, "amount": 200}, subcommand="give"
            )
        ).wait_for_followup()
        assert f"Reward roles: +<@&{regular.id}>" in given.content
        await guild.remove_member(alice)
        rejoined = guild.join(alice)
        assert regular not in rejoined.roles
        await holds(discord_sandbox, rejoined, regular)

        taken = await (
            await owner.run_command(
                general, utility_app, "xp", {"member": alice, "amount": 150}, subcommand="take"
            )
        ).wait_for_followup()
        assert f"Reward roles: −<@&{regular.id}>" in taken.content
        assert regular not in alice.roles
        assert (await bot.gamification.xp.profile(alice.id, guild.id)).progress.level == 1


async def test_reward_changes_resync_every_member_and_resync_reports_its_changes(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    bronze = guild.add_role("Bronze", position=1)
    silver = guild.add_role("Silver", position=2)
    members = [guild.add_member(f"player{number}") for number in range(5)]
    newcomer = guild.add_member("newcomer")
    settings = make_settings(role_resync_cooldown_seconds=3600)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        for member in members:
            await bot.gamification.xp.give_xp(guild.id, member.id, 400, actor_id=owner.id)  # lvl 3
        for role, level in ((bronze, 2), (silver, 3)):
            await configure(
                owner, guild, utility_app, "config reward-add", {"level": level, "role": role}
            )
        for member in members:
            await holds(discord_sandbox, member, silver)
            await holds(discord_sandbox, member, bronze)
        assert bronze not in newcomer.roles

        changed = await configure(
            owner, guild, utility_app, "config reward-mode", {"mode": "replace"}
        )
        assert "Role rewards now replace" in changed
        for member in members:
            await holds(discord_sandbox, member, bronze, expected=False)
        assert all(silver in member.roles for member in members)

        # Someone strips the reward by hand, and gives one to a member who never earned it.
        await guild.take_role(members[0], silver)
        await guild.give_role(newcomer, silver)
        handle = await owner.run_command(
            guild.channel("general"), utility_app, "levels", subcommand="resync"
        )
        assert (await handle.wait_for_response()).deferred
        report = await handle.wait_for_followup()
        assert report.ephemeral
        assert "members: 2 updated (+1 role, −1 role)" in report.content
        assert silver in members[0].roles
        assert silver not in newcomer.roles

        again = await (
            await owner.run_command(
                guild.channel("general"), utility_app, "levels", subcommand="resync"
            )
        ).wait_for_response()
        assert again.ephemeral
        assert "re-synced a moment ago" in again.content


async def test_a_deleted_reward_role_is_dropped_and_unmanageable_roles_are_reported(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    owner = guild.owner
    gone = guild.add_role("Gone", position=1)
    regular = guild.add_role("Regular", position=1)
    staff = guild.add_role("Staff")
    alice = guild.add_member("alice")
    async with fleet(discord_sandbox, (UTILITY, utility_app, make_settings())) as [bot]:
        rewards = bot.gamification.rewards
        await bot.gamification.xp.give_xp(guild.id, alice.id, 200, actor_id=owner.id)
        for role in (gone, regular):
            await configure(
                owner, guild, utility_app, "config reward-add", {"level": 2, "role": role}
            )
        await holds(discord_sandbox, alice, regular)

        await guild.delete_role(gone)

        async def only_regular_left() -> bool:
            return {item.role_id for item in await rewards.level_roles(guild.id)} == {regular.id}

        await eventually(only_regular_left)

        # A reward saved before the bot's role sank below it: the re-sync names it.
        await rewards.set_level_role(guild.id, 2, staff.id)
        report = await (
            await owner.run_command(
                guild.channel("general"), utility_app, "levels", subcommand="resync"
            )
        ).wait_for_followup()
        assert "members: 0 updated" in report.content
        assert f"Skipped <@&{staff.id}> ⚠️ @{staff.name} sits at or above my highest role" in (
            report.content
        )
        assert staff not in alice.roles


async def test_without_the_members_intent_resync_is_refused_without_a_cooldown_or_failure(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owner = guild.owner
    bronze = guild.add_role("Bronze", position=1)
    no_members = dataclasses.replace(UTILITY, intents=base_intents)
    with caplog.at_level(logging.INFO, logger=ROLE_SYNC_LOGGER):
        async with fleet(discord_sandbox, (no_members, utility_app, make_settings())) as [bot]:
            added = await configure(
                owner, guild, utility_app, "config reward-add", {"level": 2, "role": bronze}
            )
            assert f"<@&{bronze.id}>" in added
            syncer = vars(bot.get_cog("Levels"))["syncer"]  # the extension's module is reloaded
            assert isinstance(syncer, RoleSyncer)

            for _ in range(2):
                refused = await configure(owner, guild, utility_app, "resync")
                assert "needs the Server Members intent" in refused, refused
            assert guild.id not in syncer._last_requested
            assert not syncer._running

    role_sync_lines = [
        r for r in caplog.records if r.name == "botfleet.gamification.discord.role_sync"
    ]
    assert not [r for r in role_sync_lines if r.levelno >= logging.ERROR]
    messages = [record.getMessage() for record in role_sync_lines]
    assert f"reward roles of guild {guild.id} not re-synced: the bot lacks the Server " in (
        "\n".join(messages)
    )
    assert sum("/levels resync refused" in message for message in messages) == 2
