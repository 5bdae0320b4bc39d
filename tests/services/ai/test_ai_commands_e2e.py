"""/ai usage and /ai reset end to end: a FleetBot with the extension, in the Discord stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord.types.embed import Embed as EmbedPayload

from botfleet.config.schema import AISection, Settings
from botfleet.core.definition import BotDefinition, NoOptions
from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot
from botfleet.services.ai.budget import AIBudget

DEFINITION = BotDefinition(
    name="grammar",
    display_name="AI Test Bot",
    prefix="g!",
    options_model=NoOptions,
    extensions=("botfleet.core.extensions.ai",),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    ai = AISection(user_daily_requests=5, guild_daily_requests=40, guild_daily_tokens=9000)
    return fleet_test_settings("grammar", tmp_path, ai=ai)


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("AI Test Bot")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    return discord_sandbox.create_guild("Writers", bots=[app])


def field_values(embed: EmbedPayload) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_admins_see_and_reset_usage_and_members_may_not(
    discord_sandbox: DiscordSandbox, app: Application, guild: SandboxGuild, settings: Settings
) -> None:
    owner, alice = guild.owner, guild.add_member("alice")
    general = guild.channel("general")
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings) as bot:
        budget = AIBudget(bot.database, bot.settings.ai)
        for tokens in (120, 80):
            await budget.record(await budget.reserve(alice.id, guild.id), tokens)

        denied = await (
            await alice.run_command(general, app, "ai", {}, subcommand="usage")
        ).wait_for_response()
        assert denied.ephemeral
        assert denied.content.startswith("🔒")

        shown = await (
            await owner.run_command(general, app, "ai", {"member": alice}, subcommand="usage")
        ).wait_for_response()
        assert shown.ephemeral
        [embed] = shown.embeds
        assert str(embed["title"]).startswith("AI usage on ")
        values = field_values(embed)
        assert values["This server"] == "**Requests:** 2 of 40\n**Tokens:** 200 of 9,000"
        assert (
            values["alice (in every server)"] == "**Requests:** 2 of 5\n**Tokens:** 200 of 20,000"
        )

        refused = await (
            await alice.run_command(general, app, "ai", {"member": alice}, subcommand="reset")
        ).wait_for_response()
        assert refused.content.startswith("🔒")
        assert (await budget.user_usage(alice.id)).requests == 2

        reset = await (
            await owner.run_command(general, app, "ai", {"member": alice}, subcommand="reset")
        ).wait_for_response()
        assert reset.ephemeral
        assert reset.content == (
            f"Cleared <@{alice.id}>'s AI usage for today (2 requests, 200 tokens); "
            "they have their full budget again."
        )
        assert (await budget.user_usage(alice.id)).requests == 0
        assert (await budget.guild_usage(guild.id)).requests == 2, "the server's budget stays"

        again = await (
            await owner.run_command(general, app, "ai", {"member": alice}, subcommand="reset")
        ).wait_for_response()
        assert again.content == f"<@{alice.id}> has not used the AI today; nothing to reset."

        server_only = await (
            await owner.run_command(general, app, "ai", {}, subcommand="usage")
        ).wait_for_response()
        [embed] = server_only.embeds
        assert list(field_values(embed)) == ["This server"]
