"""Premium's Hangman perk end to end: more and longer server word lists where premium covers the
admin adding (their own premium, or the server's), a refusal pointing at /premium otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from botfleet.config.schema import Settings
from botfleet.sandbox import Application, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.services.premium import PremiumService, Subject

SettingsFactory = Callable[..., Settings]
LIMITS = {
    "max_guild_lists": 1,
    "max_words_per_list": 2,
    "premium_max_guild_lists": 3,
    "premium_max_words_per_list": 4,
}


async def add_words(
    member: SandboxMember, guild: SandboxGuild, app: Application, **options: str
) -> str:
    command = await member.run_command(
        guild.channel("general"), app, "hangman", options, subcommand="words add"
    )
    response = await command.wait_for_response()
    assert response.ephemeral
    return response.content


async def grant(premium: PremiumService, subject: Subject) -> None:
    until = datetime.now(UTC) + timedelta(days=30)
    await premium.override(subject, actor="test", reason="perk test", until=until)


async def test_a_free_server_is_told_premium_raises_its_lists(
    stage: FleetBotStage, app: Application, guild: SandboxGuild, make_settings: SettingsFactory
) -> None:
    owner = guild.owner
    async with stage.running(make_settings(**LIMITS)):
        assert (await add_words(owner, guild, app, list="bugs", words="beetle")).startswith("Added")
        second_list = await add_words(owner, guild, app, list="birds", words="robin")
        too_long = await add_words(owner, guild, app, list="bugs", words="ladybird, earwig")

    assert second_list == (
        "This server has 1 list already, the most it may keep; delete one with "
        "`/hangman words delete` first. Premium raises this to 3 lists: see `/premium`."
    )
    assert too_long == (
        "“bugs” has 1 word and may hold 2; adding 2 more is too many. "
        "Premium raises this to 4 words: see `/premium`."
    )


async def test_an_admins_own_premium_raises_the_lists_they_add(
    stage: FleetBotStage, app: Application, guild: SandboxGuild, make_settings: SettingsFactory
) -> None:
    owner = guild.owner
    async with stage.running(make_settings(**LIMITS)) as bot:
        await grant(bot.premium, Subject.user(owner.id))
        for name in ("bugs", "birds", "trees"):
            added = await add_words(owner, guild, app, list=name, words="beetle, robin, oak, elm")
            assert added.startswith(f"Added 4 words to “{name}”"), added
        fourth = await add_words(owner, guild, app, list="fish", words="carp")

    assert fourth.startswith("This server has 3 lists already")
    assert "/premium" not in fourth, "a premium member is not sold premium"


async def test_a_premium_server_raises_the_lists_of_every_admin(
    stage: FleetBotStage, app: Application, guild: SandboxGuild, make_settings: SettingsFactory
) -> None:
    admin = guild.add_member("ada", permissions=1 << 3)
    async with stage.running(make_settings(**LIMITS)) as bot:
        await add_words(admin, guild, app, list="bugs", words="beetle")
        refused = await add_words(admin, guild, app, list="birds", words="robin")
        await grant(bot.premium, Subject.guild(guild.id))
        added = await add_words(admin, guild, app, list="birds", words="robin")

    assert "see `/premium`" in refused
    assert added.startswith("Added 1 word to “birds”")
