"""What the command fuzzer found, each pinned by a test of its own (issue 19)."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from botfleet.config.schema import DatabaseSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.errors import UserError
from botfleet.sandbox import SandboxScriptError
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.utils.text import MESSAGE_CONTENT_LIMIT

LONG_WORD = "W" * 2500


class Echo(commands.Cog):
    """A command whose refusal quotes what the member typed, as many of the fleet's do."""

    @app_commands.command(name="lookup", description="Looks a word up.")
    async def lookup(self, interaction: object, word: str) -> None:
        raise UserError(f"I know no word “{word}”.")


async def test_a_refusal_quoting_a_long_input_still_reaches_the_member(
    fleet_bot: FleetBotFactory,
) -> None:
    """Discord refuses a message past 2,000 characters; the refusal was lost with it and the
    member saw "This interaction failed"."""
    stage = fleet_bot("hangman")
    alice, general = stage.guild.add_member("alice"), stage.guild.channel("general")
    bot = FleetBot(stage.definition, stage.settings())
    await bot.add_cog(Echo())
    async with stage.sandbox.run_client(bot, stage.app):
        handle = await alice.run_command(general, stage.app, "lookup", {"word": LONG_WORD})
        answer = await handle.wait_for_response()
    assert answer.ephemeral
    assert len(answer.content) <= MESSAGE_CONTENT_LIMIT
    assert answer.content.startswith("I know no word “WWW") and answer.content.endswith("…")


async def test_warn_takes_a_preset_name_no_longer_than_presets_may_be(
    fleet_bot: FleetBotFactory,
) -> None:
    """``/warn preset`` took 6,000 characters and echoed them all in its refusal."""
    stage = fleet_bot("mod")
    moderator, general = stage.guild.owner, stage.guild.channel("general")
    bob = stage.guild.add_member("bob")
    async with stage.running():
        with pytest.raises(SandboxScriptError, match=r"1\.\.40 characters"):
            await moderator.run_command(
                general, stage.app, "warn", {"member": bob, "preset": "W" * 41}
            )
        handle = await moderator.run_command(
            general, stage.app, "warn", {"member": bob, "preset": "W" * 40}
        )
        answer = await handle.wait_for_response()
    assert answer.ephemeral
    assert "no preset warnings" in answer.content


def on_database(stage: FleetBotStage, url: str) -> Settings:
    """The stage's bot settings on the database at ``url``."""
    return fleet_test_settings(
        stage.definition.name, stage.directory, database=DatabaseSection(url=SecretStr(url))
    )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_number_naming_a_stored_row_stays_within_its_column(
    fleet_bot: FleetBotFactory, migrated_url: str
) -> None:
    """``/case number`` took up to 2^53; past 2^31 - 1 PostgreSQL refused the query and the
    moderator read "Something went wrong"."""
    stage = fleet_bot("mod")
    owner, general = stage.guild.owner, stage.guild.channel("general")
    async with stage.running(on_database(stage, migrated_url)):
        with pytest.raises(SandboxScriptError, match=r"values 1\.\.2147483647"):
            await owner.run_command(general, stage.app, "case", {"number": 2**31})
        handle = await owner.run_command(general, stage.app, "case", {"number": 2**31 - 1})
        answer = await handle.wait_for_response()
    assert "There is no case #2147483647" in answer.content


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_nul_character_in_an_option_is_answered_on_postgresql(
    fleet_bot: FleetBotFactory, migrated_url: str
) -> None:
    """PostgreSQL refuses a NUL in any text it stores or compares: ``/tag show`` of a name
    holding one ended in an internal error."""
    stage = fleet_bot("utility")
    alice, general = stage.guild.add_member("alice"), stage.guild.channel("general")
    async with stage.running(on_database(stage, migrated_url)):
        handle = await alice.run_command(
            general, stage.app, "tag", {"name": "a\x00b"}, subcommand="show"
        )
        answer = await handle.wait_for_response()
    assert "There is no tag called “a\ufffdb”" in answer.content
