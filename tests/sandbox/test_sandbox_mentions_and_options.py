"""Whom a bot's message pings (its ``allowed_mentions``), the option values Discord's client
sends, and attachments whose names are not URL-safe: as Discord does them (issue 19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    SandboxFile,
    SandboxGuild,
    SandboxScriptError,
)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, sandbox_app: Application) -> SandboxGuild:
    """A guild where the bot may mention everyone (an administrator)."""
    guild = discord_sandbox.create_guild("Mentions")
    guild.add_bot(sandbox_app, permissions=discord.Permissions(administrator=True))
    return guild


async def post(
    session: aiohttp.ClientSession,
    sandbox: DiscordSandbox,
    app: Application,
    channel_id: int,
    body: dict[str, Any],
) -> tuple[int, Any]:
    async with session.post(
        f"{sandbox.api_base}/channels/{channel_id}/messages",
        headers={"Authorization": f"Bot {app.token}"},
        json=body,
    ) as answer:
        return answer.status, await answer.json()


async def test_allowed_mentions_narrow_whom_a_message_pings(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    guild: SandboxGuild,
    session: aiohttp.ClientSession,
) -> None:
    bob, carol = guild.add_member("bob"), guild.add_member("carol")
    crew = guild.add_role("Crew", mentionable=True)
    hidden = guild.add_role("Hidden")
    general = guild.channel("general")
    content = f"<@{bob.id}> <@!{carol.id}> <@&{crew.id}> <@&{hidden.id}> @here"

    async def pings(allowed: dict[str, Any] | None) -> tuple[list[int], list[int], bool]:
        body: dict[str, Any] = {"content": content}
        if allowed is not None:
            body["allowed_mentions"] = allowed
        status, answer = await post(session, discord_sandbox, sandbox_app, general.id, body)
        assert status == 200, answer
        message = discord_sandbox.state.messages[int(answer["id"])]
        return message.mention_user_ids, message.mention_role_ids, message.mention_everyone

    assert await pings(None) == ([bob.id, carol.id], [crew.id, hidden.id], True)
    assert await pings({"parse": []}) == ([], [], False)
    assert await pings({"parse": ["users"]}) == ([bob.id, carol.id], [], False)
    assert await pings({"users": [str(carol.id)], "roles": [str(crew.id)]}) == (
        [carol.id],
        [crew.id],
        False,
    )
    # A member without Mention Everyone pings only mentionable roles, and nobody with @here.
    dave = guild.add_member("dave")
    said = await dave.send(general, content)
    assert (said.mention_role_ids, said.mention_everyone) == ([crew.id], False)

    status, answer = await post(
        session,
        discord_sandbox,
        sandbox_app,
        general.id,
        {"content": content, "allowed_mentions": {"parse": ["users"], "users": [str(bob.id)]}},
    )
    assert (status, answer["code"]) == (400, 50035)
    assert "mutually exclusive" in str(answer["errors"]["allowed_mentions"])
    status, answer = await post(
        session,
        discord_sandbox,
        sandbox_app,
        general.id,
        {"content": content, "allowed_mentions": {"parse": ["channels"]}},
    )
    assert (status, answer["code"]) == (400, 50035)


async def test_option_values_past_what_discords_client_sends_are_refused(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    guild: SandboxGuild,
    session: aiohttp.ClientSession,
) -> None:
    options = [
        {"type": 3, "name": "text", "description": "Any text"},
        {"type": 4, "name": "whole", "description": "Any integer"},
        {"type": 10, "name": "real", "description": "Any number"},
    ]
    async with session.put(
        f"{discord_sandbox.api_base}/applications/{sandbox_app.id}/commands",
        headers={"Authorization": f"Bot {sandbox_app.token}"},
        json=[{"name": "fuzz", "description": "Fuzz", "type": 1, "options": options}],
    ) as answer:
        assert answer.status == 200, await answer.text()
    member, general = guild.add_member("alice"), guild.channel("general")
    for refused in (
        {"text": ""},
        {"text": "x" * 6001},
        {"whole": 2**53 + 1},
        {"whole": -(2**53) - 1},
        {"real": float("nan")},
        {"real": float("inf")},
        {"real": 2.0**54},
    ):
        with pytest.raises(SandboxScriptError):
            await member.run_command(general, sandbox_app, "fuzz", refused)
    for sent in ({"text": "x" * 6000}, {"whole": 2**53}, {"real": -(2.0**53)}):
        await member.run_command(general, sandbox_app, "fuzz", sent)


async def test_an_attachment_named_like_a_path_is_served_from_its_url(
    discord_sandbox: DiscordSandbox, guild: SandboxGuild, session: aiohttp.ClientSession
) -> None:
    general = guild.channel("general")
    message = await guild.add_member("alice").send(
        general, "look", files=[SandboxFile("../../etc/passwd?x=1#y", b"not a secret")]
    )
    [attachment] = message.attachments
    assert attachment.filename == "../../etc/passwd?x=1#y"
    async with session.get(attachment.url) as answer:
        assert (answer.status, await answer.read()) == (200, b"not a secret")
