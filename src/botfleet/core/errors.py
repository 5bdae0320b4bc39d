"""One error path for every command: a plain-words answer for the member, a traceback for us."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import MissingPermissionLevel
from botfleet.errors import UserError
from botfleet.services.rate_limit import RateLimited
from botfleet.utils.text import MESSAGE_CONTENT_LIMIT, truncate_string

log = logging.getLogger(__name__)


class CommandRateLimited(app_commands.CheckFailure, commands.CheckFailure):
    """The member spent their command budget; ``retry_after`` seconds until the next one."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited for {retry_after:.1f}s")


@dataclass(frozen=True)
class ErrorReply:
    """What to tell the member, and whether the operator must see a traceback."""

    message: str | None
    unexpected: bool = False
    reference: str | None = None


def _retry_at(seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=max(seconds, 1.0))
    return discord.utils.format_dt(moment, "R")


def _permission_names(names: list[str]) -> str:
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in names)


def _unwrap(error: BaseException) -> BaseException:
    """Dig the original exception out of discord.py's invoke wrappers."""
    while isinstance(
        error,
        app_commands.CommandInvokeError | commands.CommandInvokeError | commands.HybridCommandError,
    ):
        error = error.original
    return error


def describe_error(error: BaseException) -> ErrorReply:
    """Map any command error to the answer a member should read."""
    error = _unwrap(error)
    if isinstance(error, UserError):
        return ErrorReply(error.message)
    if isinstance(error, MissingPermissionLevel):
        return ErrorReply(f"🔒 {error}")
    if isinstance(error, CommandRateLimited | RateLimited):
        return ErrorReply(f"⏳ You're going too fast — try again {_retry_at(error.retry_after)}.")
    if isinstance(error, app_commands.CommandOnCooldown | commands.CommandOnCooldown):
        return ErrorReply(
            f"⏳ This command is cooling down — try again {_retry_at(error.retry_after)}."
        )
    if isinstance(error, app_commands.MissingPermissions | commands.MissingPermissions):
        return ErrorReply(f"🔒 You need {_permission_names(error.missing_permissions)} for that.")
    if isinstance(error, app_commands.BotMissingPermissions | commands.BotMissingPermissions):
        return ErrorReply(
            f"I'm missing {_permission_names(error.missing_permissions)} here; "
            "ask an admin to grant it to me."
        )
    if isinstance(error, app_commands.NoPrivateMessage | commands.NoPrivateMessage):
        return ErrorReply("This command only works in a server.")
    if isinstance(error, app_commands.TransformerError):
        cause = error.__cause__
        if isinstance(cause, ValueError | UserError) and str(cause):
            return ErrorReply(str(cause))
        return ErrorReply(f"I couldn't understand `{error.value}` for that option.")
    if isinstance(error, commands.MissingRequiredArgument):
        return ErrorReply(f"You left out `{error.param.name}`.")
    if isinstance(error, commands.UserInputError):
        return ErrorReply(str(error) or "I couldn't understand that input.")
    if isinstance(error, commands.CommandNotFound):
        return ErrorReply(None)
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return ErrorReply(
            "This command is out of date on Discord's side; ask the bot owner to sync the "
            "bot's commands, then try again."
        )
    if isinstance(error, app_commands.CheckFailure | commands.CheckFailure):
        return ErrorReply(str(error) or "You can't use this command here.")
    reference = secrets.token_hex(4)
    return ErrorReply(
        f"Something went wrong on our side. It has been logged (reference `{reference}`).",
        unexpected=True,
        reference=reference,
    )


ActionsT = TypeVar("ActionsT")


async def cog_serving(
    interaction: discord.Interaction[Any], cog_name: str, actions: type[ActionsT], feature: str
) -> ActionsT | None:
    """The cog that handles a persistent button's press, or None after telling the member.

    Buttons outlive a bot's restart and reach it before (or without) the extension that drew
    them; ``actions`` is the runtime-checkable protocol the cog implements.
    """
    client = interaction.client
    cog = client.get_cog(cog_name) if hasattr(client, "get_cog") else None
    if isinstance(cog, actions):
        return cog
    await reply_ephemeral(interaction, f"{feature} is not available right now; try again soon.")
    return None


async def reply_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Answer ``interaction`` privately by whichever route its state still allows.

    First response if none was given, else a followup while the token lives; when Discord
    no longer knows the interaction (its 3-second window or 15-minute token passed), the
    member is told in the channel instead of being left with "This interaction failed".
    A message past Discord's 2,000 characters (one quoting a long input) is cut to fit, or
    Discord would refuse it and the member would hear nothing.
    """
    message = truncate_string(message, MESSAGE_CONTENT_LIMIT)
    try:
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(message, ephemeral=True)
                return
            except discord.InteractionResponded:
                pass  # answered meanwhile by another task: a followup still reaches them
        if not interaction.is_expired():
            await interaction.followup.send(message, ephemeral=True)
            return
    except discord.NotFound:
        log.info("interaction %s expired before its error reply", interaction.id)
    except discord.HTTPException:
        log.warning("could not deliver an error reply to interaction %s", interaction.id)
        return
    await _reply_in_channel(interaction, message)


async def _reply_in_channel(interaction: discord.Interaction[Any], message: str) -> None:
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable):
        return
    try:
        await channel.send(
            f"{interaction.user.mention} {message}",
            allowed_mentions=discord.AllowedMentions(users=[interaction.user]),
        )
    except discord.HTTPException:
        log.warning("could not deliver an error reply in channel %s", interaction.channel_id)


def interaction_label(interaction: discord.Interaction[Any]) -> str:
    """How the logs name an interaction: its slash command; for a form, the command that opened
    it (Discord's submission does not say); else the form's or component's custom id."""
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = data.get("custom_id", "?")
    if interaction.type is not discord.InteractionType.modal_submit:
        return f"component {custom_id}"
    forms: Mapping[int, str] = getattr(interaction.client, "form_openers", {})
    opener = forms.get(interaction.user.id)
    return f"/{opener} form" if opener is not None else f"form {custom_id}"


async def handle_interaction_error(
    interaction: discord.Interaction[Any], error: BaseException
) -> None:
    """The slash-command tree's error handler."""
    reply = describe_error(error)
    source = interaction_label(interaction)
    if reply.unexpected:
        log.error(
            "%s failed (ref %s, user %s, guild %s, channel %s)",
            source,
            reply.reference,
            interaction.user.id,
            interaction.guild_id,
            interaction.channel_id,
            exc_info=_unwrap(error),
        )
        if reply.message is not None:
            await reply_ephemeral(interaction, reply.message)
    elif reply.message is not None:
        await refuse(interaction, reply.message)


async def refuse(interaction: discord.Interaction[Any], message: str) -> None:
    """Tell the member privately why ``interaction`` was refused, and log it (one info line)."""
    log.info(
        "%s refused for user %s: %s", interaction_label(interaction), interaction.user.id, message
    )
    await reply_ephemeral(interaction, message)


async def handle_context_error(ctx: commands.Context[Any], error: BaseException) -> None:
    """The prefix-command error handler (hybrid commands arrive here too)."""
    if ctx.command is not None and ctx.command.has_error_handler():
        return
    if ctx.cog is not None and ctx.cog.has_error_handler():
        return
    reply = describe_error(error)
    if reply.unexpected:
        log.error(
            "command %s failed (ref %s, user %s, guild %s)",
            ctx.command.qualified_name if ctx.command else ctx.invoked_with,
            reply.reference,
            ctx.author.id,
            ctx.guild.id if ctx.guild else None,
            exc_info=_unwrap(error),
        )
    if reply.message is None:
        return
    if ctx.interaction is not None:
        await reply_ephemeral(ctx.interaction, reply.message)
        return
    try:
        await ctx.reply(reply.message, mention_author=False)
    except discord.HTTPException:
        log.warning("could not deliver an error reply in channel %s", ctx.channel.id)
