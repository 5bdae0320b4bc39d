"""The HTTP API spoken raw: headers, error bodies, permissions and the interaction lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionHandle,
    Permission,
    SandboxGuild,
    SandboxMember,
    SandboxTimeoutError,
)


class Api:
    """A tiny raw client: every call returns (status, headers, parsed body)."""

    def __init__(self, sandbox: DiscordSandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session

    async def call(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, **params: str
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bot {token}"} if token else {}
        async with self.session.request(
            method,
            self.sandbox.api_base + path,
            headers=headers,
            json=json,
            params=params or None,
        ) as response:
            body = await response.json() if response.status != 204 else None
            return response.status, response.headers, body


@pytest.fixture
async def api(discord_sandbox: DiscordSandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(discord_sandbox, session)


async def register_command(api: Api, app: Application, **command: Any) -> None:
    body = {"name": "ping", "description": "Ping", "type": 1, **command}
    status, _, answer = await api.call(
        "PUT", f"/applications/{app.id}/commands", token=app.token, json=[body]
    )
    assert status == 200, answer


async def start_interaction(
    api: Api, app: Application, member: SandboxMember, guild: SandboxGuild
) -> InteractionHandle:
    await register_command(api, app)
    return await member.run_command(guild.channel("general"), app, "ping")


async def callback(
    api: Api, handle: InteractionHandle, body: dict[str, Any], *, with_response: bool = True
) -> tuple[int, Any, Any]:
    interaction = handle.interaction
    params = {"with_response": "1"} if with_response else {}
    return await api.call(
        "POST", f"/interactions/{interaction.id}/{interaction.token}/callback", json=body, **params
    )


async def test_json_answers_have_the_exact_content_type_and_login_shapes(
    api: Api, sandbox_app: Application
) -> None:
    status, headers, me = await api.call("GET", "/users/@me", token=sandbox_app.token)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert me["id"] == str(sandbox_app.bot_user.id)
    assert me["bot"] is True
    status, headers, info = await api.call(
        "GET", "/oauth2/applications/@me", token=sandbox_app.token
    )
    assert headers["Content-Type"] == "application/json"
    assert info["id"] == str(sandbox_app.id)
    assert info["owner"]["id"] == str(sandbox_app.owner.id)
    assert info["interactions_endpoint_url"] is None
    assert info["flags"] & (1 << 18)
    _, _, gateway = await api.call("GET", "/gateway")
    assert gateway == {"url": api.sandbox.gateway_url}
    _, _, gateway_bot = await api.call("GET", "/gateway/bot", token=sandbox_app.token)
    assert gateway_bot["shards"] == 1
    assert gateway_bot["session_start_limit"]["max_concurrency"] == 1


async def test_a_wrong_token_is_401_like_discord(api: Api, sandbox_app: Application) -> None:
    for token in (None, "not-a-token", sandbox_app.token + "x"):
        status, headers, body = await api.call("GET", "/users/@me", token=token)
        assert (status, body) == (401, {"message": "401: Unauthorized", "code": 0})
        assert headers["Content-Type"] == "application/json"


async def test_unknown_routes_and_methods_are_answered_and_recorded(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application
) -> None:
    status, _, body = await api.call("GET", "/guilds/1/integrations", token=sandbox_app.token)
    assert (status, body) == (404, {"message": "404: Not Found", "code": 0})
    status, _, body = await api.call("DELETE", "/users/@me", token=sandbox_app.token)
    assert (status, body) == (405, {"message": "405: Method Not Allowed", "code": 0})
    assert [(r.application, r.method, r.path) for r in discord_sandbox.unhandled] == [
        ("Test Bot", "GET", "/api/v10/guilds/1/integrations"),
        ("Test Bot", "DELETE", "/api/v10/users/@me"),
    ]
    discord_sandbox.unhandled.clear()


async def test_channel_access_and_permissions(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    general = sandbox_guild.channel("general")
    token = sandbox_app.token
    status, _, body = await api.call(
        "POST", "/channels/12345/messages", token=token, json={"content": "x"}
    )
    assert (status, body["code"]) == (404, 10003)
    elsewhere = discord_sandbox.create_guild("Elsewhere").channel("general")
    status, _, body = await api.call(
        "POST", f"/channels/{elsewhere.id}/messages", token=token, json={"content": "x"}
    )
    assert (status, body) == (403, {"message": "Missing Access", "code": 50001})
    everyone = sandbox_guild.guild.everyone_role
    everyone.permissions &= ~Permission.SEND_MESSAGES
    bot_role = sandbox_guild.role("Test Bot")
    bot_role.permissions &= ~Permission.SEND_MESSAGES
    status, _, body = await api.call(
        "POST", f"/channels/{general.id}/messages", token=token, json={"content": "x"}
    )
    assert (status, body) == (403, {"message": "Missing Permissions", "code": 50013})
    bot_role.permissions |= Permission.SEND_MESSAGES
    alice = sandbox_guild.add_member("alice", permissions=Permission.SEND_MESSAGES)
    theirs = await alice.send(general, "mine")
    path = f"/channels/{general.id}/messages/{theirs.id}"
    status, _, body = await api.call("PATCH", path, token=token, json={"content": "hijacked"})
    assert (status, body["code"]) == (403, 50005)
    status, _, body = await api.call("DELETE", path, token=token)
    assert (status, body["code"]) == (403, 50013)
    bot_role.permissions |= Permission.MANAGE_MESSAGES
    status, _, _ = await api.call("DELETE", path, token=token)
    assert status == 204
    assert theirs.deleted


async def test_message_history_pages_newest_first(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    general = sandbox_guild.channel("general")
    alice = sandbox_guild.add_member("alice")
    sent = [await alice.send(general, f"m{index}") for index in range(5)]
    path = f"/channels/{general.id}/messages"
    _, _, latest = await api.call("GET", path, token=sandbox_app.token, limit="2")
    assert [m["content"] for m in latest] == ["m4", "m3"]
    _, _, older = await api.call("GET", path, token=sandbox_app.token, before=str(sent[2].id))
    assert [m["content"] for m in older] == ["m1", "m0"]
    _, _, newer = await api.call("GET", path, token=sandbox_app.token, after=str(sent[2].id))
    assert [m["content"] for m in newer] == ["m4", "m3"]


async def test_dms_open_and_refuse_other_bots(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    status, _, channel = await api.call(
        "POST", "/users/@me/channels", token=sandbox_app.token, json={"recipient_id": str(alice.id)}
    )
    assert status == 200
    assert channel["type"] == 1
    assert [user["id"] for user in channel["recipients"]] == [str(alice.id)]
    status, _, message = await api.call(
        "POST",
        f"/channels/{channel['id']}/messages",
        token=sandbox_app.token,
        json={"content": "hi"},
    )
    assert status == 200
    assert "guild_id" not in message
    other = discord_sandbox.add_application("Other")
    sandbox_guild.add_bot(other)
    _, _, bot_dm = await api.call(
        "POST",
        "/users/@me/channels",
        token=sandbox_app.token,
        json={"recipient_id": str(other.bot_user.id)},
    )
    status, _, body = await api.call(
        "POST", f"/channels/{bot_dm['id']}/messages", token=sandbox_app.token, json={"content": "x"}
    )
    assert (status, body["code"]) == (403, 50007)


async def test_role_changes_follow_permissions_and_hierarchy(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    low = sandbox_guild.add_role("Low")
    path = f"/guilds/{sandbox_guild.id}/members/{alice.id}/roles/{low.id}"
    status, _, body = await api.call("PUT", path, token=sandbox_app.token)
    assert (status, body["code"]) == (403, 50013)
    sandbox_guild.role("Test Bot").permissions |= Permission.MANAGE_ROLES
    status, _, body = await api.call("PUT", path, token=sandbox_app.token)
    assert (status, body["code"]) == (403, 50013), "Low sits above the bot's role"
    sandbox_guild.role("Test Bot").position = low.position + 1
    status, _, _ = await api.call("PUT", path, token=sandbox_app.token)
    assert status == 204
    assert [role.name for role in alice.roles] == ["Low"]
    status, _, _ = await api.call("DELETE", path, token=sandbox_app.token)
    assert status == 204
    assert alice.roles == []
    status, _, body = await api.call(
        "PUT", f"/guilds/{sandbox_guild.id}/members/{alice.id}/roles/999", token=sandbox_app.token
    )
    assert (status, body["code"]) == (404, 10011)


async def test_command_endpoints(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    base = f"/applications/{sandbox_app.id}/commands"
    token = sandbox_app.token
    bad = [{"name": "ok", "description": "fine"}, {"name": "Bad Name", "description": ""}]
    status, _, body = await api.call("PUT", base, token=token, json=bad)
    assert status == 400
    assert body["code"] == 50035
    assert set(body["errors"]["1"]) == {"name", "description"}
    status, _, created = await api.call(
        "POST", base, token=token, json={"name": "a", "description": "A"}
    )
    assert status == 201
    status, _, replaced = await api.call(
        "POST", base, token=token, json={"name": "a", "description": "B"}
    )
    assert (status, replaced["id"], replaced["description"]) == (200, created["id"], "B")
    status, _, fetched = await api.call("GET", f"{base}/{created['id']}", token=token)
    assert fetched["contexts"] == [0, 1, 2]
    assert fetched["application_id"] == str(sandbox_app.id)
    status, _, patched = await api.call(
        "PATCH", f"{base}/{created['id']}", token=token, json={"description": "C"}
    )
    assert patched["description"] == "C"
    status, _, _ = await api.call("DELETE", f"{base}/{created['id']}", token=token)
    assert status == 204
    status, _, listed = await api.call("GET", base, token=token)
    assert listed == []
    other = discord_sandbox.add_application("Other")
    status, _, body = await api.call("GET", f"/applications/{other.id}/commands", token=token)
    assert (status, body["code"]) == (403, 50001)
    guild_base = f"/applications/{sandbox_app.id}/guilds/{sandbox_guild.id}/commands"
    status, _, guild_commands = await api.call(
        "PUT", guild_base, token=token, json=[{"name": "here", "description": "Here"}]
    )
    assert guild_commands[0]["guild_id"] == str(sandbox_guild.id)


async def test_interaction_answer_shapes_with_and_without_response(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    handle = await start_interaction(api, sandbox_app, alice, sandbox_guild)
    status, headers, body = await callback(
        api, handle, {"type": 4, "data": {"content": "pong", "flags": 64}}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["interaction"]["id"] == str(handle.id)
    assert body["interaction"]["type"] == 2
    assert body["interaction"]["response_message_ephemeral"] is True
    assert body["resource"]["type"] == 4
    message = body["resource"]["message"]
    assert message["content"] == "pong"
    assert message["flags"] == 64
    assert message["type"] == 20
    assert message["webhook_id"] == str(sandbox_app.id)
    assert message["interaction_metadata"]["id"] == str(handle.id)
    assert message["interaction_metadata"]["user"]["id"] == str(alice.id)

    deferred = await alice.run_command(sandbox_guild.channel("general"), sandbox_app, "ping")
    status, _, body = await callback(api, deferred, {"type": 5})
    assert body["interaction"]["response_message_loading"] is True
    assert "resource" not in body
    modal = await alice.run_command(sandbox_guild.channel("general"), sandbox_app, "ping")
    modal_body = {
        "custom_id": "m",
        "title": "Modal",
        "components": [
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": "t", "style": 1, "label": "Text"}],
            }
        ],
    }
    status, _, body = await callback(
        api, modal, {"type": 9, "data": modal_body}, with_response=False
    )
    assert (status, body) == (204, None)
    assert modal.interaction.modal == modal_body


async def test_interaction_errors_double_ack_wrong_type_and_webhooks(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    handle = await start_interaction(api, sandbox_app, alice, sandbox_guild)
    interaction = handle.interaction
    webhook = f"/webhooks/{sandbox_app.id}/{interaction.token}"
    status, _, body = await api.call("POST", webhook, json={"content": "early"}, wait="1")
    assert (status, body["code"]) == (404, 10015)
    status, _, body = await callback(api, handle, {"type": 7, "data": {"content": "x"}})
    assert (status, body["code"]) == (400, 50035)
    status, _, _ = await callback(api, handle, {"type": 4, "data": {"content": "first"}})
    assert status == 200
    status, _, body = await callback(api, handle, {"type": 4, "data": {"content": "second"}})
    assert (status, body) == (
        400,
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    status, _, followup = await api.call("POST", webhook, json={"content": "later"}, wait="1")
    assert status == 200
    assert followup["interaction_metadata"]["original_response_message_id"] == str(
        interaction.original_message_id
    )
    status, _, original = await api.call(
        "PATCH", f"{webhook}/messages/@original", json={"content": "new"}
    )
    assert original["content"] == "new"
    assert original["edited_timestamp"] is not None
    status, _, fetched = await api.call("GET", f"{webhook}/messages/{followup['id']}")
    assert fetched["content"] == "later"
    status, _, _ = await api.call("DELETE", f"{webhook}/messages/{followup['id']}")
    assert status == 204
    status, _, body = await api.call("GET", f"{webhook}/messages/{followup['id']}")
    assert (status, body["code"]) == (404, 10008)
    status, _, body = await api.call(
        "POST", f"/webhooks/{sandbox_app.id}/wrong", json={"content": "x"}
    )
    assert (status, body["code"]) == (401, 50027)


async def test_the_first_followup_after_a_deferral_fills_the_thinking_message(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    handle = await start_interaction(api, sandbox_app, alice, sandbox_guild)
    webhook = f"/webhooks/{sandbox_app.id}/{handle.interaction.token}"
    status, _, body = await callback(api, handle, {"type": 5, "data": {"flags": 64}})
    thinking_id = body["interaction"]["response_message_id"]
    status, _, filled = await api.call("POST", webhook, json={"content": "done", "flags": 0})
    assert status == 200, "an interaction's webhook always answers with the message"
    assert filled["id"] == thinking_id
    assert (filled["content"], filled["flags"]) == ("done", 64), "loading cleared, still ephemeral"
    assert "original_response_message_id" not in filled["interaction_metadata"]
    status, _, later = await api.call("POST", webhook, json={"content": "more", "flags": 64})
    assert later["id"] != thinking_id
    assert later["interaction_metadata"]["original_response_message_id"] == thinking_id
    assert handle.interaction.followup_message_ids == [int(later["id"])]
    assert [await handle.wait_for_followup(), await handle.wait_for_followup()] == [
        general.messages(include_ephemeral=True)[0],
        general.messages(include_ephemeral=True)[1],
    ]

    edited_first = await alice.run_command(general, sandbox_app, "ping")
    webhook = f"/webhooks/{sandbox_app.id}/{edited_first.interaction.token}"
    await callback(api, edited_first, {"type": 5})
    _, _, original = await api.call("PATCH", f"{webhook}/messages/@original", json={"content": "a"})
    status, _, followup = await api.call("POST", webhook, json={"content": "b"})
    assert (status, followup["content"]) == (200, "b")
    assert followup["id"] != original["id"], "once the answer was edited, followups are new"

    layout = await alice.run_command(general, sandbox_app, "ping")
    await callback(api, layout, {"type": 5})
    status, _, filled = await api.call(
        "POST",
        f"/webhooks/{sandbox_app.id}/{layout.interaction.token}",
        json={"flags": 1 << 15, "components": [{"type": 10, "content": "laid out"}]},
    )
    assert (status, filled["flags"]) == (200, 1 << 15), "a components-v2 answer keeps its flag"
    status, _, body = await api.call(
        "PATCH",
        f"/webhooks/{sandbox_app.id}/{layout.interaction.token}/messages/@original",
        json={"content": "legacy text"},
    )
    assert (status, body["code"]) == (400, 50035)
    assert "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2" in str(body["errors"])

    deleted = await alice.run_command(general, sandbox_app, "ping")
    webhook = f"/webhooks/{sandbox_app.id}/{deleted.interaction.token}"
    await callback(api, deleted, {"type": 5})
    status, _, _ = await api.call("DELETE", f"{webhook}/messages/@original")
    assert status == 204
    status, _, body = await api.call("POST", webhook, json={"content": "too late"})
    assert (status, body["code"]) == (404, 10008), "the thinking message it would fill is gone"

    forgotten = await alice.run_command(general, sandbox_app, "ping")
    await callback(api, forgotten, {"type": 5})
    with pytest.raises(SandboxTimeoutError, match="to finish thinking about /ping: it deferred"):
        await forgotten.wait_for_message(timeout=0.05)


@pytest.mark.parametrize(
    "discord_sandbox_options", [{"interaction_deadline": 0.1, "interaction_token_lifetime": 0.3}]
)
async def test_deadline_and_token_lifetime(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    late = await start_interaction(api, sandbox_app, alice, sandbox_guild)
    await asyncio.sleep(0.15)
    status, _, body = await callback(api, late, {"type": 4, "data": {"content": "late"}})
    assert (status, body) == (404, {"message": "Unknown interaction", "code": 10062})
    timely = await alice.run_command(sandbox_guild.channel("general"), sandbox_app, "ping")
    status, _, _ = await callback(api, timely, {"type": 5})
    assert status == 200
    await asyncio.sleep(0.35)
    status, _, body = await api.call(
        "PATCH",
        f"/webhooks/{sandbox_app.id}/{timely.interaction.token}/messages/@original",
        json={"content": "too late"},
    )
    assert (status, body) == (401, {"message": "Invalid Webhook Token", "code": 50027})


async def test_component_updates_edit_the_clicked_message(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    general = sandbox_guild.channel("general")
    alice = sandbox_guild.add_member("alice")
    components = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}
    ]
    _, _, posted = await api.call(
        "POST",
        f"/channels/{general.id}/messages",
        token=sandbox_app.token,
        json={"content": "menu", "components": components},
    )
    message = general.messages()[-1]
    assert str(message.id) == posted["id"]
    click = await alice.click(message, "go")
    status, _, body = await callback(api, click, {"type": 6})
    assert status == 200
    assert body["interaction"]["type"] == 3
    assert "response_message_id" not in body["interaction"]
    status, _, edited = await api.call(
        "PATCH",
        f"/webhooks/{sandbox_app.id}/{click.interaction.token}/messages/@original",
        json={"content": "clicked", "components": []},
    )
    assert status == 200
    assert edited["id"] == posted["id"]
    assert message.content == "clicked"
    assert message.components == []


async def test_edits_cannot_empty_a_message_and_bad_queries_are_form_errors(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    general = sandbox_guild.channel("general")
    path = f"/channels/{general.id}/messages"
    _, _, posted = await api.call("POST", path, token=sandbox_app.token, json={"content": "x"})
    status, _, body = await api.call(
        "PATCH", f"{path}/{posted['id']}", token=sandbox_app.token, json={"content": None}
    )
    assert (status, body["code"]) == (400, 50006)
    assert general.messages()[0].content == "x"
    status, _, body = await api.call("GET", path, token=sandbox_app.token, limit="101")
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["limit"]["_errors"][0]["code"] == "NUMBER_TYPE_MAX"
    status, _, body = await api.call("GET", path, token=sandbox_app.token, before="soon")
    assert (status, body["code"]) == (400, 50035)
