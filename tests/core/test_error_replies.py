"""Every command error becomes one plain-words answer; unexpected ones carry a log reference."""

from __future__ import annotations

import re

import pytest
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import MissingPermissionLevel, PermissionLevel
from botfleet.core.errors import CommandRateLimited, describe_error
from botfleet.errors import UserError


def test_user_errors_are_shown_as_written() -> None:
    reply = describe_error(UserError("That word has already been found."))
    assert reply.message == "That word has already been found."
    assert not reply.unexpected


def test_user_error_inside_invoke_wrapper_is_unwrapped() -> None:
    wrapped = commands.CommandInvokeError(UserError("Pick a number from 1 to 10."))
    assert describe_error(commands.HybridCommandError(wrapped)).message == (
        "Pick a number from 1 to 10."
    )


def test_rate_limit_gives_a_relative_discord_timestamp() -> None:
    message = describe_error(CommandRateLimited(12.5)).message
    assert message is not None
    assert "too fast" in message
    assert re.search(r"<t:\d+:R>", message)


def test_permission_level_refusal() -> None:
    reply = describe_error(MissingPermissionLevel(PermissionLevel.MODERATOR, PermissionLevel.USER))
    assert reply.message == "🔒 This command is for moderators and above."


def test_missing_discord_permissions_are_named_readably() -> None:
    reply = describe_error(app_commands.MissingPermissions(["manage_guild", "ban_members"]))
    assert reply.message == "🔒 You need Manage Server, Ban Members for that."
    bot_reply = describe_error(commands.BotMissingPermissions(["manage_roles"]))
    assert bot_reply.message is not None and "Manage Roles" in bot_reply.message


def test_unknown_prefix_command_is_ignored_silently() -> None:
    assert describe_error(commands.CommandNotFound("nope")).message is None


def test_transformer_error_uses_the_parser_message() -> None:
    try:
        raise ValueError("Use a duration like 90s, 1h30m or 2d.")
    except ValueError as cause:
        error = app_commands.TransformerError("soon", 3, app_commands.Transformer())
        error.__cause__ = cause
    assert describe_error(error).message == "Use a duration like 90s, 1h30m or 2d."


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyError("x"), ZeroDivisionError()])
def test_unexpected_errors_hide_details_and_give_a_reference(error: Exception) -> None:
    reply = describe_error(commands.CommandInvokeError(error))
    assert reply.unexpected
    assert reply.reference is not None
    assert reply.message is not None
    assert reply.reference in reply.message
    assert type(error).__name__ not in reply.message


def test_stale_slash_command_asks_for_a_sync() -> None:
    reply = describe_error(app_commands.CommandNotFound("old", []))
    assert reply.message is not None
    assert "sync" in reply.message
    assert not reply.unexpected
