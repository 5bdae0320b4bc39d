"""The local OpenAI-compatible server answers as the real API does, for any HTTP client."""

from __future__ import annotations

from typing import Any

import aiohttp
from ai_helpers import API_KEY

from botfleet.sandbox.openai_server import LocalOpenAIServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi there"}]}


async def _post(server: LocalOpenAIServer, body: Any, key: str | None = API_KEY) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}/chat/completions", json=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def test_a_completion_has_the_real_shape(openai_server: LocalOpenAIServer) -> None:
    status, body = await _post(openai_server, CHAT)
    assert status == 200
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int)
    assert body["model"] == "gpt-4o-mini"
    [choice] = body["choices"]
    assert choice["message"] == {
        "role": "assistant",
        "content": "Reply 1 to: Hi there",
        "refusal": None,
    }
    assert choice["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 6, "completion_tokens": 6, "total_tokens": 12}
    [recorded] = openai_server.completions
    assert recorded.messages == CHAT["messages"]


async def test_keys_are_checked_and_refusals_have_the_real_error_shape(
    openai_server: LocalOpenAIServer,
) -> None:
    status, body = await _post(openai_server, CHAT, key="sk-not-the-right-key")
    assert status == 401
    assert body["error"]["code"] == "invalid_api_key"
    assert body["error"]["type"] == "invalid_request_error"
    assert "sk-not-the-right-key" not in body["error"]["message"]
    status, body = await _post(openai_server, CHAT, key=None)
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")

    status, body = await _post(openai_server, {"model": "gpt-4o-mini", "messages": []})
    assert (status, body["error"]["param"]) == (400, "messages")
    status, body = await _post(openai_server, {**CHAT, "model": "gpt-imaginary"})
    assert (status, body["error"]["code"]) == (404, "model_not_found")
    assert [request.status for request in openai_server.requests] == [401, 401, 400, 404]


async def test_the_model_list(openai_server: LocalOpenAIServer) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{openai_server.base_url}/models", headers=headers) as answer,
    ):
        body = await answer.json()
    assert answer.status == 200
    assert body["object"] == "list"
    assert [model["id"] for model in body["data"]] == ["gpt-4o-mini"]


async def test_queued_failures_come_in_order_then_default_replies(
    openai_server: LocalOpenAIServer,
) -> None:
    openai_server.queue_rate_limit(retry_after=3)
    openai_server.queue_server_error(502)
    openai_server.queue_reply("Queued.")
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession() as session:
        url = f"{openai_server.base_url}/chat/completions"
        async with session.post(url, json=CHAT, headers=headers) as limited:
            assert limited.status == 429
            assert limited.headers["Retry-After"] == "3"
            assert (await limited.json())["error"]["code"] == "rate_limit_exceeded"
        async with session.post(url, json=CHAT, headers=headers) as failed:
            assert failed.status == 502
            assert (await failed.json())["error"]["type"] == "server_error"
    _, queued = await _post(openai_server, CHAT)
    _, default = await _post(openai_server, CHAT)
    assert queued["choices"][0]["message"]["content"] == "Queued."
    assert default["choices"][0]["message"]["content"] == "Reply 2 to: Hi there"
