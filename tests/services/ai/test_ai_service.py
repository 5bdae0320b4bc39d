"""AIService against the local OpenAI-compatible server: the real client over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from ai_helpers import API_KEY, RecordedSleeps, ServiceFactory
from pydantic import SecretStr

from botfleet.config.schema import AISection
from botfleet.database import Database
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.services.ai.errors import (
    AIError,
    AIInputError,
    AIRateLimitedError,
    AIServerError,
    AITimeoutError,
    AIUnavailableError,
)
from botfleet.services.ai.service import AIService, ChatMessage, _retry_after

ADA = 1_234_567_890_123_456_789
GUILD = 987_654_321_098_765_432


async def test_an_answer_carries_text_and_token_usage_and_is_counted(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service()
    assert service.available

    first = await service.ask(
        "Their going home.", user_id=ADA, guild_id=GUILD, instructions="Fix the grammar."
    )
    second = await service.ask("He go to school.", user_id=ADA, guild_id=GUILD)

    assert first.text == "Reply 1 to: Their going home."
    assert second.text == "Reply 2 to: He go to school."
    assert first.model == "gpt-4o-mini"
    assert first.finish_reason == "stop"
    # 3 words and a full stop of instructions, 4 tokens of text, 4 overhead tokens a message.
    assert (first.prompt_tokens, first.completion_tokens) == (8 + 8, 8)
    [sent, _] = openai_server.completions
    assert sent.authorization == f"Bearer {API_KEY}"
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["max_tokens"] == 500
    assert sent.messages == [
        {"role": "system", "content": "Fix the grammar."},
        {"role": "user", "content": "Their going home."},
    ]
    user = await service.budget.user_usage(ADA)
    guild = await service.budget.guild_usage(GUILD)
    assert (user.requests, user.tokens) == (2, first.total_tokens + second.total_tokens)
    assert (guild.requests, guild.tokens) == (user.requests, user.tokens)


async def test_queued_reply_usage_and_answer_length_are_passed_on(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service(max_output_tokens=3)
    openai_server.queue_reply("Fine.", prompt_tokens=120, completion_tokens=30)
    answer = await service.chat(
        [ChatMessage("user", "Is this fine?")], user_id=ADA, guild_id=None, max_tokens=50
    )
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens) == ("Fine.", 120, 30)
    assert openai_server.completions[-1].body["max_tokens"] == 3, "capped by the settings"
    assert (await service.budget.user_usage(ADA)).tokens == 150

    cut = await service.ask("one two three four five six", user_id=ADA, guild_id=None)
    assert cut.finish_reason == "length"
    assert cut.completion_tokens == 3


async def test_secrets_never_reach_the_model(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service()
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
    await service.ask(
        f"my key is {API_KEY} and the bot token {token}",
        user_id=ADA,
        guild_id=None,
        instructions="Connect with postgresql://bot:hunter2secret@db:5432/x",
    )
    sent = str(openai_server.completions[-1].body)
    for secret in (API_KEY, token, "hunter2secret"):
        assert secret not in sent
    assert sent.count("[REDACTED]") == 3


async def test_a_429_is_retried_after_its_retry_after(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, sleeps: RecordedSleeps
) -> None:
    service = make_service()
    openai_server.queue_rate_limit(retry_after=2)
    answer = await service.ask("hello", user_id=ADA, guild_id=GUILD)
    assert answer.text == "Reply 1 to: hello"
    assert [request.status for request in openai_server.completions] == [429, 200]
    assert sleeps.delays == [2.0]
    assert (await service.budget.user_usage(ADA)).requests == 1, "one request, however retried"


async def test_429s_through_every_retry_give_a_friendly_rate_limit_error(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, sleeps: RecordedSleeps
) -> None:
    service = make_service(max_retries=2)
    for _ in range(3):
        openai_server.queue_rate_limit(retry_after=None)
    with pytest.raises(AIRateLimitedError) as raised:
        await service.ask("hello", user_id=ADA, guild_id=GUILD)
    assert "busy" in raised.value.message
    assert len(openai_server.completions) == 3
    assert sleeps.delays == [0.25, 0.5], "exponential backoff, jitter fixed at its lowest"
    usage = await service.budget.user_usage(ADA)
    assert (usage.requests, usage.tokens) == (0, 0), "a request that got no answer is refunded"


async def test_a_retry_after_beyond_the_longest_wait_gives_up_at_once(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, sleeps: RecordedSleeps
) -> None:
    service = make_service(max_retry_wait=5)
    openai_server.queue_rate_limit(retry_after=60)
    with pytest.raises(AIRateLimitedError) as raised:
        await service.ask("hello", user_id=ADA, guild_id=None)
    assert raised.value.retry_after == 60
    assert "60 seconds" in raised.value.message
    assert len(openai_server.completions) == 1
    assert sleeps.delays == []


async def test_an_account_out_of_quota_is_not_retried(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, sleeps: RecordedSleeps
) -> None:
    service = make_service()
    openai_server.queue_rate_limit(retry_after=1, code="insufficient_quota")
    with pytest.raises(AIUnavailableError, match="credit"):
        await service.ask("hello", user_id=ADA, guild_id=None)
    assert len(openai_server.completions) == 1
    assert sleeps.delays == []


async def test_a_500_is_retried_and_one_through_every_retry_is_a_server_error(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, sleeps: RecordedSleeps
) -> None:
    service = make_service(max_retries=1)
    openai_server.queue_server_error(500)
    assert (await service.ask("once", user_id=ADA, guild_id=None)).text == "Reply 1 to: once"
    assert sleeps.delays == [0.25]

    openai_server.queue_server_error(503)
    openai_server.queue_server_error(500)
    with pytest.raises(AIServerError):
        await service.ask("twice", user_id=ADA, guild_id=None)
    assert [request.status for request in openai_server.completions] == [500, 200, 503, 500]
    assert (await service.budget.user_usage(ADA)).requests == 1


async def test_a_slow_server_times_out_without_costing_a_request(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service(timeout=0.3)
    openai_server.queue_delay(30)
    with pytest.raises(AITimeoutError) as raised:
        await service.ask("hello", user_id=ADA, guild_id=GUILD)
    assert "too long" in raised.value.message
    assert len(openai_server.completions) == 0, "the held request never got its answer"
    assert (await service.budget.user_usage(ADA)).requests == 0
    assert (await service.ask("again", user_id=ADA, guild_id=GUILD)).text.endswith("again")


async def test_an_unreachable_server_is_a_server_error(
    sqlite_database: Database, sleeps: RecordedSleeps
) -> None:
    server = LocalOpenAIServer(api_key=API_KEY)
    await server.start()
    url = server.base_url
    await server.stop()
    settings = AISection(
        api_key=SecretStr(API_KEY), base_url=url, max_retries=1, retry_base_delay=0.01
    )
    service = AIService(settings, sqlite_database, sleep=sleeps, jitter=lambda: 0.0)
    try:
        with pytest.raises(AIServerError):
            await service.ask("hello", user_id=ADA, guild_id=None)
    finally:
        await service.close()
    assert len(sleeps.delays) == 1


async def test_without_a_key_the_service_is_unavailable_and_sends_nothing(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    for key in (None, SecretStr("  ")):
        service = make_service(api_key=key)
        assert not service.available
        with pytest.raises(AIUnavailableError) as raised:
            await service.ask("hello", user_id=ADA, guild_id=None)
        assert isinstance(raised.value, AIError)
        assert "switched off" in raised.value.message
    assert openai_server.requests == []
    assert (await service.budget.user_usage(ADA)).requests == 0


async def test_a_refused_key_switches_the_service_off(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service(api_key=SecretStr("sk-wrong-key-000000000000"))
    with pytest.raises(AIUnavailableError):
        await service.ask("hello", user_id=ADA, guild_id=None)
    assert [request.status for request in openai_server.requests] == [401]
    assert not service.available
    with pytest.raises(AIUnavailableError):
        await service.ask("hello", user_id=ADA, guild_id=None)
    assert len(openai_server.requests) == 1
    assert (await service.budget.user_usage(ADA)).requests == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "no text"), ("   \n", "no text"), ("x" * 101, "101 characters long")],
)
async def test_member_text_is_checked_before_anything_is_spent(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory, text: str, expected: str
) -> None:
    service = make_service(max_input_chars=100)
    with pytest.raises(AIInputError, match=expected):
        await service.ask(text, user_id=ADA, guild_id=None)
    assert openai_server.requests == []
    assert (await service.budget.user_usage(ADA)).requests == 0
    assert (await service.ask("x" * 100, user_id=ADA, guild_id=None)).text.endswith("x" * 100)


async def test_an_answer_without_text_is_a_server_error_and_refunded(
    openai_server: LocalOpenAIServer, make_service: ServiceFactory
) -> None:
    service = make_service()
    openai_server.queue_empty_answer()
    with pytest.raises(AIServerError):
        await service.ask("hello", user_id=ADA, guild_id=None)
    assert (await service.budget.user_usage(ADA)).requests == 0


def test_backoff_doubles_and_jitter_stays_within_bounds(sqlite_database: Database) -> None:
    settings = AISection(retry_base_delay=1, max_retry_wait=10)
    highest = AIService(settings, sqlite_database, jitter=lambda: 1.0)
    lowest = AIService(settings, sqlite_database, jitter=lambda: 0.0)
    assert [lowest._delay(attempt, None) for attempt in range(5)] == [0.5, 1, 2, 4, 8]
    assert [highest._delay(attempt, None) for attempt in range(5)] == [1, 2, 4, 8, None]
    assert highest._delay(0, 3) == 4, "Retry-After plus up to one base delay of jitter"
    assert lowest._delay(0, 10) == 10
    assert lowest._delay(0, 10.5) is None


def test_retry_after_is_read_in_every_form_servers_send() -> None:
    assert _retry_after({"retry-after-ms": "1500"}) == 1.5
    assert _retry_after({"retry-after": "7"}) == 7
    assert _retry_after({"retry-after": "0.25"}) == 0.25
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    waited = _retry_after({"retry-after": in_ten})
    assert waited is not None and 5 < waited <= 10
    assert _retry_after({"retry-after": "soon"}) is None
    assert _retry_after({}) is None
