"""Who a message pings: its mentions as far as ``allowed_mentions`` lets them, as on Discord."""

from __future__ import annotations

from typing import Any

import pytest

from botfleet.sandbox import DiscordHTTPError, DiscordSandbox, JSONErrorCode, Message
from botfleet.sandbox.validation import parse_message


def posted(sandbox: DiscordSandbox, allowed: dict[str, Any] | None) -> tuple[Message, int, int]:
    """The owner posts a mention of alice, bob, a role and @everyone; the message, alice's id,
    the role's id."""
    guild = sandbox.create_guild("Mentions")
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    role = guild.add_role("Helpers", mentionable=True)
    body: dict[str, Any] = {
        "content": f"{alice.mention} <@!{bob.id}> <@&{role.id}> @everyone <@424242>"
    }
    if allowed is not None:
        body["allowed_mentions"] = allowed
    channel = guild.channel("general").channel
    owner = sandbox.state.users[guild.guild.owner_id]
    message = sandbox.state.post_message(channel, owner, parse_message(body))
    return message, alice.id, role.id


def pings(message: Message) -> tuple[int, int, bool]:
    return len(message.mention_user_ids), len(message.mention_role_ids), message.mention_everyone


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        (None, (2, 1, True)),
        ({}, (0, 0, False)),
        ({"parse": []}, (0, 0, False)),
        ({"parse": ["users"]}, (2, 0, False)),
        ({"parse": ["roles", "everyone"]}, (0, 1, True)),
    ],
    ids=["no object: all", "empty object: none", "parse nothing", "users", "roles and everyone"],
)
async def test_allowed_mentions_decide_what_pings(
    discord_sandbox: DiscordSandbox, allowed: dict[str, Any] | None, expected: tuple[int, int, bool]
) -> None:
    message, _, _ = posted(discord_sandbox, allowed)
    assert pings(message) == expected


async def test_listed_ids_ping_only_those(discord_sandbox: DiscordSandbox) -> None:
    guild_message, alice_id, role_id = posted(discord_sandbox, {"parse": []})
    state = discord_sandbox.state
    listed = parse_message(
        {"content": guild_message.content, "allowed_mentions": {"users": [str(alice_id)]}},
        editing=True,
    )
    state.edit_message(guild_message, listed)
    assert guild_message.mention_user_ids == [alice_id]
    assert guild_message.mention_role_ids == [] and not guild_message.mention_everyone
    roles = parse_message(
        {"content": guild_message.content, "allowed_mentions": {"roles": [role_id]}},
        editing=True,
    )
    state.edit_message(guild_message, roles)
    assert guild_message.mention_user_ids == [] and guild_message.mention_role_ids == [role_id]


def test_a_kind_parsed_whole_and_listed_by_id_is_refused() -> None:
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    with pytest.raises(DiscordHTTPError) as refused:
        parse_message(body)
    assert refused.value.code is JSONErrorCode.INVALID_FORM_BODY
    assert refused.value.errors is not None and "allowed_mentions" in refused.value.errors


async def test_an_edit_reads_mentions_with_its_own_allowed_mentions_or_the_default(
    discord_sandbox: DiscordSandbox,
) -> None:
    message, _, _ = posted(discord_sandbox, {"parse": []})
    state = discord_sandbox.state
    state.edit_message(message, parse_message({"content": message.content}, editing=True))
    assert pings(message) == (2, 1, True), "not the original request's parse: []"
    quiet = parse_message({"content": message.content, "allowed_mentions": {}}, editing=True)
    state.edit_message(message, quiet)
    assert pings(message) == (0, 0, False)
    state.edit_message(message, parse_message({"embeds": [{"title": "t"}]}, editing=True))
    assert pings(message) == (0, 0, False), "an edit leaving the content keeps its mentions"


async def test_an_apps_answer_without_allowed_mentions_pings_users_only_sent_or_edited(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Answering Bot")
    guild = discord_sandbox.create_guild("Answers", bots=[app])
    alice = guild.add_member("alice")
    role = guild.add_role("Helpers", mentionable=True)
    content = f"{alice.mention} <@&{role.id}>"
    channel = guild.channel("general").channel
    state = discord_sandbox.state
    answer = state.post_message(
        channel, app.bot_user, parse_message({"content": content}), application=app
    )
    assert pings(answer) == (1, 0, False)
    roles_too = {"parse": ["users", "roles"]}
    state.edit_message(
        answer, parse_message({"content": content, "allowed_mentions": roles_too}, editing=True)
    )
    assert pings(answer) == (1, 1, False)
    state.edit_message(answer, parse_message({"content": content}, editing=True))
    assert pings(answer) == (1, 0, False)


async def test_an_edit_notifies_nobody(discord_sandbox: DiscordSandbox) -> None:
    message, alice_id, role_id = posted(discord_sandbox, {"users": []})
    assert message.notified_user_ids == [] and message.notified_role_ids == []
    discord_sandbox.state.edit_message(
        message, parse_message({"content": f"<@{alice_id}> <@&{role_id}>"}, editing=True)
    )
    assert message.mention_user_ids == [alice_id] and message.mention_role_ids == [role_id]
    assert message.notified_user_ids == [] and message.notified_role_ids == []
    assert not message.notified_everyone
    sent, alice_id, role_id = posted(discord_sandbox, None)
    assert sent.notified_user_ids == sent.mention_user_ids != []
    assert sent.notified_role_ids == [role_id] and sent.notified_everyone
