"""AIService: chat completions from OpenAI or any OpenAI-compatible server, within budgets.

One instance per bot process wraps the official ``openai`` async client. Each request checks
the member's text, removes anything shaped like a secret, takes one request from the member's
and the server's daily budget, calls the model (retrying rate limits and server errors with
exponential backoff and jitter, honouring Retry-After), records the tokens the answer used, and
turns every failure into an :class:`~botfleet.services.ai.errors.AIError` a bot can show as is,
or catch to fall back on its offline path. Without an API key :attr:`AIService.available` is
False and nothing is ever sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Final, Literal

from botfleet.config.schema import AISection, Settings
from botfleet.database.base import Database
from botfleet.services.ai.budget import AIBudget
from botfleet.services.ai.errors import (
    AIError,
    AIInputError,
    AIRateLimitedError,
    AIRequestError,
    AIServerError,
    AITimeoutError,
    AIUnavailableError,
)
from botfleet.utils.logger import redact, register_secret

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

log = logging.getLogger(__name__)

OPENAI_BASE_URL: Final = "https://api.openai.com/v1"
QUOTA_EXHAUSTED_CODE: Final = "insufficient_quota"
"""OpenAI's 429 code for an account out of credit: waiting does not help, so no retry."""

Role = Literal["system", "user", "assistant"]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation; ``user`` messages are member text and get checked."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's answer and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class AIService:
    """Asks the configured model on behalf of a member, within their and their server's budget."""

    def __init__(
        self,
        settings: AISection,
        database: Database,
        *,
        budget: AIBudget | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.budget = budget if budget is not None else AIBudget(database, settings)
        self._sleep = sleep
        self._jitter = jitter
        self._key_refused = False
        self._client: openai.AsyncOpenAI | None = None
        key = settings.api_key.get_secret_value().strip() if settings.api_key else ""
        if key:
            import openai  # noqa: PLC0415  (its SDK is 500 modules: loaded where a key is set)

            register_secret(key)
            self._client = openai.AsyncOpenAI(
                api_key=key,
                base_url=settings.base_url or OPENAI_BASE_URL,
                timeout=settings.timeout,
                max_retries=0,  # retries are ours: budgets, Retry-After limits and logs
            )

    @classmethod
    def from_settings(cls, settings: Settings, database: Database) -> AIService:
        return cls(settings.ai, database)

    @property
    def available(self) -> bool:
        """Whether requests may be sent; when False, callers use their offline path."""
        return self._client is not None and not self._key_refused

    async def close(self) -> None:
        """Close the HTTP connections of the client."""
        if self._client is not None:
            await self._client.close()

    def check_text(self, text: str) -> str:
        """A member's text, stripped, or :class:`AIInputError` when empty or too long."""
        stripped = text.strip()
        if not stripped:
            raise AIInputError("There is no text to send to the AI — write something first.")
        limit = self.settings.max_input_chars
        if len(stripped) > limit:
            raise AIInputError(
                f"That text is {len(stripped):,} characters long; the AI takes at most "
                f"{limit:,}. Please shorten it."
            )
        return stripped

    async def ask(
        self,
        text: str,
        *,
        user_id: int,
        guild_id: int | None,
        instructions: str | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """Send one member text, after the bot's ``instructions`` (a system message)."""
        messages = [ChatMessage("user", text)]
        if instructions is not None:
            messages.insert(0, ChatMessage("system", instructions))
        return await self.chat(messages, user_id=user_id, guild_id=guild_id, max_tokens=max_tokens)

    async def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        user_id: int,
        guild_id: int | None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Completion:
        """Ask the model for the next message of ``messages``, billed to the member and server."""
        client = self._client
        if client is None or self._key_refused:
            raise AIUnavailableError
        prompt = self._prompt(messages)
        reservation = await self.budget.reserve(user_id, guild_id)
        try:
            response = await self._create(client, prompt, max_tokens, temperature)
            completion = _completion(response)
        except AIError:
            await self.budget.refund(reservation)
            raise
        await self.budget.record(reservation, completion.total_tokens)
        log.info(
            "AI answered user %d (guild %s): %d prompt + %d completion tokens from %s",
            user_id,
            guild_id,
            completion.prompt_tokens,
            completion.completion_tokens,
            completion.model,
        )
        return completion

    def _prompt(self, messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
        """The messages as sent: member text checked, every secret-shaped string removed."""
        if not messages:
            raise ValueError("A chat request needs at least one message.")
        prompt: list[ChatCompletionMessageParam] = []
        for message in messages:
            content = message.content
            if message.role == "user":
                content = self.check_text(content)
            safe = redact(content)
            if message.role == "system":
                prompt.append({"role": "system", "content": safe})
            elif message.role == "user":
                prompt.append({"role": "user", "content": safe})
            else:
                prompt.append({"role": "assistant", "content": safe})
        return prompt

    async def _create(
        self,
        client: openai.AsyncOpenAI,
        prompt: list[ChatCompletionMessageParam],
        max_tokens: int | None,
        temperature: float | None,
    ) -> ChatCompletion:
        """One completion, retried after 429s, 5xx answers and lost connections."""
        import openai  # noqa: PLC0415  (loaded with the client already)

        limit = min(max_tokens or self.settings.max_output_tokens, self.settings.max_output_tokens)
        attempt = 0
        while True:
            try:
                return await client.chat.completions.create(
                    model=self.settings.model,
                    messages=prompt,
                    max_tokens=limit,
                    temperature=temperature if temperature is not None else openai.omit,
                )
            except openai.RateLimitError as exc:
                if _error_code(exc) == QUOTA_EXHAUSTED_CODE:
                    log.error("the AI provider says the account's quota is used up: %s", exc)
                    raise AIUnavailableError(
                        "The AI has used up its credit; ask the bot owner to top it up."
                    ) from exc
                retry_after = _retry_after(exc.response.headers)
                failure: AIError = AIRateLimitedError(retry_after)
                delay = self._delay(attempt, retry_after)
            except openai.APITimeoutError as exc:
                log.warning("the AI server did not answer within %.1fs", self.settings.timeout)
                raise AITimeoutError from exc
            except openai.APIConnectionError as exc:
                failure, delay = AIServerError(), self._delay(attempt, None)
                log.warning("cannot reach the AI server: %s", exc)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                self._key_refused = True
                log.error(
                    "the AI server refused the API key (HTTP %d); AI is off until it is fixed",
                    exc.status_code,
                )
                raise AIUnavailableError from exc
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    log.warning(
                        "the AI server refused the request (HTTP %d): %s", exc.status_code, exc
                    )
                    raise AIRequestError from exc
                failure, delay = (
                    AIServerError(),
                    self._delay(attempt, _retry_after(exc.response.headers)),
                )
                log.warning("the AI server failed (HTTP %d)", exc.status_code)
            if attempt >= self.settings.max_retries or delay is None:
                log.warning("giving up on the AI request after %d attempt(s)", attempt + 1)
                raise failure
            log.info("retrying the AI request in %.2fs (retry %d)", delay, attempt + 1)
            await self._sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """How long to wait before retry ``attempt + 1``; None when it would be too long.

        The server's Retry-After comes first; without one, the delay doubles each time. Jitter
        spreads out members whose requests failed together, so they do not return together.
        """
        base = self.settings.retry_base_delay
        if retry_after is not None:
            delay = retry_after + base * self._jitter()
        else:
            delay = base * 2**attempt * (0.5 + self._jitter() / 2)
        if delay > self.settings.max_retry_wait:
            return None
        return delay


def _completion(response: ChatCompletion) -> Completion:
    if not response.choices or response.choices[0].message.content is None:
        log.warning("the AI server answered without any text (response %s)", response.id)
        raise AIServerError
    choice = response.choices[0]
    usage = response.usage
    return Completion(
        text=choice.message.content or "",
        model=response.model,
        prompt_tokens=usage.prompt_tokens if usage is not None else 0,
        completion_tokens=usage.completion_tokens if usage is not None else 0,
        finish_reason=choice.finish_reason,
    )


def _error_code(error: openai.APIStatusError) -> str | None:
    body = error.body
    if isinstance(body, dict):
        code = body.get("code")
        if code is None and isinstance(body.get("error"), dict):
            code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` in seconds
    or as an HTTP date; None when it did not say."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)
