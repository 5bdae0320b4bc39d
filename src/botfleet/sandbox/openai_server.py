"""A local stand-in for an OpenAI-compatible chat API, for tests of the AI service.

It speaks the real protocol over real HTTP on 127.0.0.1, so the official ``openai`` client runs
unchanged against it: ``POST /v1/chat/completions`` and ``GET /v1/models`` with the real request
and response shapes, bearer-key checks, and errors in OpenAI's ``{"error": {...}}`` shape.

By default a request is answered with a reply made from the request itself (its number and the
last member message), so a test can tell calls apart; token usage is counted from the words.
A test queues what the next requests meet instead: a given reply, a 429 with Retry-After, a 5xx,
or a delay longer than the client's timeout. Every request is recorded, so a test can assert on
the prompts that reached the "model"::

    async with LocalOpenAIServer(api_key="sk-test") as server:
        server.queue_rate_limit(retry_after=1)
        ...  # point AsyncOpenAI(base_url=server.base_url, api_key="sk-test") at it
        assert server.requests[-1].messages[-1]["content"] == "hello"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from botfleet.sandbox.local_http import LocalHTTPServer
from botfleet.utils.tasks import wait_at_most

DEFAULT_MODELS: Final = ("gpt-4o-mini",)
MESSAGE_OVERHEAD_TOKENS: Final = 4
"""Tokens a chat message costs besides its words (role and separators), as in OpenAI's counts."""
ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool"})
_WORD = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: each word and each punctuation mark is one token."""
    return len(_WORD.findall(text))


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received, and the status it answered."""

    method: str
    path: str
    authorization: str | None
    body: Any
    status: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of a completion request (empty for other requests)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("messages"), list):
            return list(self.body["messages"])
        return []


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int
    message: str
    type: str
    code: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Delay:
    seconds: float


_Behaviour = _Reply | _Failure | _Delay


def _error_body(message: str, kind: str, code: str | None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _RefusedError(Exception):
    """A request the real API would refuse with ``response``."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class LocalOpenAIServer(LocalHTTPServer):
    """An OpenAI-compatible chat server on a free loopback port."""

    def __init__(self, *, api_key: str = "sk-local-test", models: tuple[str, ...] = DEFAULT_MODELS):
        self.api_key = api_key
        self.models = models
        self.requests: list[RecordedRequest] = []
        self._queue: deque[_Behaviour] = deque()
        self._ids = itertools.count(1)
        self._stopping = asyncio.Event()
        super().__init__()

    @property
    def base_url(self) -> str:
        """What to give the client as ``base_url``: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.origin}/v1"

    @property
    def completions(self) -> list[RecordedRequest]:
        """The chat completion requests received, answered or not."""
        return [request for request in self.requests if request.path == "/v1/chat/completions"]

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)

    async def stop(self) -> None:
        """Stop listening; requests held by a queued delay end at once."""
        self._stopping.set()
        await super().stop()

    def queue_reply(
        self,
        text: str,
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Answer the next completion with ``text`` (and this usage, else the counted one)."""
        self._queue.append(_Reply(text, prompt_tokens, completion_tokens))

    def queue_empty_answer(self) -> None:
        """Answer the next completion with a choice whose content is null."""
        self._queue.append(_Reply(None))

    def queue_rate_limit(
        self, retry_after: float | None = 1.0, *, code: str = "rate_limit_exceeded"
    ) -> None:
        """Answer the next completion with 429 (and Retry-After, in seconds, unless None)."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        message = (
            "You exceeded your current quota, please check your plan and billing details."
            if code == "insufficient_quota"
            else "Rate limit reached for requests. Please try again later."
        )
        self._queue.append(_Failure(429, message, "requests", code, headers))

    def queue_server_error(self, status: int = 500) -> None:
        """Answer the next completion with a server error."""
        message = "The server had an error while processing your request. Sorry about that!"
        self._queue.append(_Failure(status, message, "server_error", None))

    def queue_delay(self, seconds: float) -> None:
        """Hold the next completion ``seconds`` before answering it (as by default)."""
        self._queue.append(_Delay(seconds))

    async def _models(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request)
        except _RefusedError as refused:
            return self._record(request, None, refused.response)
        created = int(time.time())
        data = [
            {"id": model, "object": "model", "created": created, "owned_by": "botfleet-sandbox"}
            for model in self.models
        ]
        return self._record(request, None, web.json_response({"object": "list", "data": data}))

    async def _chat_completions(self, request: web.Request) -> web.Response:
        body: Any = None
        try:
            self._authorize(request)
            body = await self._json_body(request)
            model, messages, max_tokens = self._validate(body)
        except _RefusedError as refused:
            return self._record(request, body, refused.response)
        behaviour = self._queue.popleft() if self._queue else None
        if isinstance(behaviour, _Delay):
            await self._hold(behaviour.seconds)
            behaviour = None
        if isinstance(behaviour, _Failure):
            response = web.json_response(
                _error_body(behaviour.message, behaviour.type, behaviour.code),
                status=behaviour.status,
                headers=behaviour.headers,
            )
            return self._record(request, body, response)
        number = next(self._ids)
        reply = behaviour if isinstance(behaviour, _Reply) else None
        text = reply.text if reply is not None else self._default_reply(number, messages)
        completion = self._completion(
            number, model=model, messages=messages, text=text, max_tokens=max_tokens, reply=reply
        )
        return self._record(request, body, completion)

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "bearer" and key.strip() == self.api_key:
            return
        if not header:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"
            message = f"Incorrect API key provided: {shown}."
        raise _RefusedError(
            web.json_response(
                _error_body(message, "invalid_request_error", "invalid_api_key"), status=401
            )
        )

    async def _json_body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _RefusedError(
                _invalid("We could not parse the JSON body of your request.", None)
            ) from None

    def _validate(self, body: Any) -> tuple[str, list[dict[str, Any]], int | None]:
        if not isinstance(body, dict):
            raise _RefusedError(_invalid("The request body must be a JSON object.", None))
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _RefusedError(_invalid("you must provide a model parameter", "model"))
        if model not in self.models:
            raise _RefusedError(
                web.json_response(
                    _error_body(
                        f"The model `{model}` does not exist or you do not have access to it.",
                        "invalid_request_error",
                        "model_not_found",
                    ),
                    status=404,
                )
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _RefusedError(_invalid("'messages' must be a non-empty array.", "messages"))
        for index, message in enumerate(messages):
            if (
                not isinstance(message, dict)
                or message.get("role") not in ROLES
                or not isinstance(message.get("content"), str)
            ):
                raise _RefusedError(
                    _invalid(
                        f"Invalid value for 'messages[{index}]': expected a role and text content.",
                        f"messages[{index}]",
                    )
                )
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (
            not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
        ):
            raise _RefusedError(
                _invalid("'max_tokens' must be an integer of at least 1.", "max_tokens")
            )
        return model, messages, max_tokens

    async def _hold(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the server stops meanwhile."""
        await wait_at_most(self._stopping, seconds)

    @staticmethod
    def _default_reply(number: int, messages: list[dict[str, Any]]) -> str:
        said = [str(message["content"]) for message in messages if message["role"] == "user"]
        last = said[-1] if said else str(messages[-1]["content"])
        return f"Reply {number} to: {last}"

    @staticmethod
    def _completion(
        number: int,
        *,
        model: str,
        messages: list[dict[str, Any]],
        text: str | None,
        max_tokens: int | None,
        reply: _Reply | None,
    ) -> web.Response:
        finish_reason = "stop"
        if text is not None and max_tokens is not None and count_tokens(text) > max_tokens:
            text = " ".join(_WORD.findall(text)[:max_tokens])
            finish_reason = "length"
        counted_prompt = sum(
            count_tokens(str(message["content"])) + MESSAGE_OVERHEAD_TOKENS for message in messages
        )
        prompt_tokens = counted_prompt
        completion_tokens = count_tokens(text or "")
        if reply is not None and reply.prompt_tokens is not None:
            prompt_tokens = reply.prompt_tokens
        if reply is not None and reply.completion_tokens is not None:
            completion_tokens = reply.completion_tokens
        payload = {
            "id": f"chatcmpl-sandbox{number:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_botfleet_sandbox",
        }
        return web.json_response(payload)

    def _record(self, request: web.Request, body: Any, response: web.Response) -> web.Response:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                authorization=request.headers.get("Authorization"),
                body=body,
                status=response.status,
            )
        )
        return response


def _invalid(message: str, param: str | None) -> web.Response:
    return web.json_response(_error_body(message, "invalid_request_error", None, param), status=400)
