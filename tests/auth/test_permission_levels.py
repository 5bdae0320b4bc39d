"""Permission levels: ordering, parsing, and the check wired on both kinds of command."""

from __future__ import annotations

import pytest
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import MissingPermissionLevel, PermissionLevel, requires_permission


def test_levels_are_ordered_like_english() -> None:
    assert PermissionLevel.USER < PermissionLevel.MODERATOR < PermissionLevel.ADMIN
    assert PermissionLevel.ADMIN < PermissionLevel.BOT_OWNER
    assert PermissionLevel.BOT_OWNER >= PermissionLevel.MODERATOR


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("user", PermissionLevel.USER),
        ("Moderator", PermissionLevel.MODERATOR),
        ("admin", PermissionLevel.ADMIN),
        ("bot owner", PermissionLevel.BOT_OWNER),
        ("bot_owner", PermissionLevel.BOT_OWNER),
        ("owner", PermissionLevel.BOT_OWNER),
    ],
)
def test_parse_accepts_the_names_people_write(text: str, level: PermissionLevel) -> None:
    assert PermissionLevel.parse(text) is level


def test_parse_rejects_unknown_levels_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="use one of: user, moderator, admin, bot_owner"):
        PermissionLevel.parse("superuser")


def test_missing_level_message_names_the_requirement() -> None:
    error = MissingPermissionLevel(PermissionLevel.ADMIN, PermissionLevel.USER)
    assert str(error) == "This command is for admins and above."
    assert isinstance(error, app_commands.CheckFailure)
    assert isinstance(error, commands.CheckFailure)


def test_check_guards_slash_prefix_and_hybrid_commands() -> None:
    @app_commands.command(name="purge", description="Delete messages.")
    @requires_permission("moderator")
    async def purge_slash(interaction: object) -> None:
        """Slash command under test."""

    @commands.command(name="purge")
    @requires_permission("moderator")
    async def purge_prefix(ctx: object) -> None:
        """Prefix command under test."""

    @commands.hybrid_command(name="config", description="Configure the bot.")
    @requires_permission(PermissionLevel.ADMIN)
    async def config_hybrid(ctx: commands.Context[commands.Bot]) -> None:
        """Hybrid command under test."""

    assert len(purge_slash.checks) == 1
    assert len(purge_prefix.checks) == 1
    assert len(config_hybrid.checks) == 1
    assert config_hybrid.app_command is not None
    assert len(config_hybrid.app_command.checks) == 1


def test_check_can_be_applied_on_top_of_a_prefix_command() -> None:
    @commands.command(name="reload")
    async def reload(ctx: object) -> None:
        """Prefix command under test."""

    guarded = requires_permission("bot owner")(reload)
    assert guarded is reload
    assert len(reload.checks) == 1
