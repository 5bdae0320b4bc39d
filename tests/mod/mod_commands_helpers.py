"""A moderated guild in the stand-in and ways to ask the Mod Bot things, for the e2e tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from botfleet.bots.mod.bot import mod_permissions
from botfleet.core.answers import slow_note
from botfleet.sandbox import (
    Application,
    AuditedRequest,
    DiscordSandbox,
    InteractionHandle,
    InteractionResponse,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.scripting.waits import wait_until

SLOW_NOTE_START = slow_note("").split(" — ")[0]
"""How every note that a slow answer is on its way begins."""

MODERATOR_PERMISSIONS = discord.Permissions(
    kick_members=True,
    ban_members=True,
    moderate_members=True,
    manage_messages=True,
    manage_channels=True,
    view_channel=True,
    send_messages=True,
)


@dataclass
class ModGuild:
    """A guild laid out as a server admin would: Members < Moderators < the bot < Admins."""

    app: Application
    guild: SandboxGuild
    general: SandboxChannel
    modlog: SandboxChannel
    moderator: SandboxMember
    second_moderator: SandboxMember
    alice: SandboxMember
    bob: SandboxMember
    admin: SandboxMember

    async def ask(
        self,
        member: SandboxMember,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
    ) -> InteractionResponse:
        """``member`` runs a command of the bot in #general; the bot's first answer."""
        return await answer(member, self.general, self.app, command, options, subcommand=subcommand)


def build_mod_guild(sandbox: DiscordSandbox, app: Application) -> ModGuild:
    """The guild of the e2e tests, built before the bot joins so its role sits where it should."""
    guild = sandbox.create_guild("Moderated")
    members = guild.add_role("Members")
    moderators = guild.add_role("Moderators", permissions=MODERATOR_PERMISSIONS)
    guild.add_bot(app, permissions=mod_permissions())
    admins = guild.add_role("Admins", permissions=discord.Permissions(administrator=True))
    return ModGuild(
        app=app,
        guild=guild,
        general=guild.channel("general"),
        modlog=guild.add_text_channel("modlog"),
        moderator=guild.add_member("mia", roles=[moderators]),
        second_moderator=guild.add_member("max", roles=[moderators]),
        alice=guild.add_member("alice", roles=[members]),
        bob=guild.add_member("bob", roles=[members], accepts_dms=False),
        admin=guild.add_member("ada", roles=[admins]),
    )


async def answer(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    command: str,
    options: dict[str, Any] | None = None,
    *,
    subcommand: str | None = None,
) -> InteractionResponse:
    """Run a slash command and wait for the answer the member reads.

    An action whose DM, database and Discord calls take longer than its grace is acknowledged
    first; its answer then fills the deferred message (an edit, or the first followup).
    """
    handle = await member.run_command(channel, app, command, options or {}, subcommand=subcommand)
    return await answer_of(handle)


async def answer_of(handle: InteractionHandle) -> InteractionResponse:
    """The answer the member reads: the response, or what filled a deferral (past any note
    that it is taking longer)."""
    response = await handle.wait_for_response()
    if not response.deferred:
        return response
    message = await handle.wait_for_message()
    while message.content.startswith(SLOW_NOTE_START):
        message = await handle.wait_for_edit()
    return dataclasses.replace(response, message=message)


def audited(sandbox: DiscordSandbox, method: str, path_part: str) -> list[AuditedRequest]:
    """The successful requests with an audit-log reason whose path contains ``path_part``."""
    return [
        request
        for request in sandbox.audited_requests
        if request.method == method and path_part in request.path and request.status < 300
    ]


def massban_button(message: Message) -> str:
    """The custom id of the raid alert's massban button on ``message``."""
    [custom_id] = [
        component["custom_id"]
        for component in message.iter_components()
        if str(component.get("custom_id", "")).startswith("modraid:")
    ]
    return str(custom_id)


WAIT_SECONDS = 10.0


async def wait_for(sandbox: DiscordSandbox, check: Callable[[], object], what: str) -> object:
    """Wait until ``check()`` is truthy (re-checked on every change of the stand-in)."""
    return await wait_until(
        sandbox, lambda: check() or None, timeout=WAIT_SECONDS, describe_failure=lambda: what
    )
