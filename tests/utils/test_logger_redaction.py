"""Redaction: every secret shape is masked wherever it sits in a record or a Sentry event."""

from __future__ import annotations

import base64
import logging
import string
import sys
import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import SecretStr

from botfleet.utils.logger import (
    REDACTED,
    RedactingFilter,
    redact,
    redact_sentry_event,
    redact_value,
    register_secret,
)

BASE64URL = string.ascii_letters + string.digits + "-_"


def discord_token(user_id: int, stamp: str, signature: str) -> str:
    encoded_id = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{encoded_id}.{stamp}.{signature}"


SAMPLE_DISCORD_TOKEN = discord_token(
    412345678901234567, "GhIjKl", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ"
)
SAMPLES = {
    "discord bot token": SAMPLE_DISCORD_TOKEN,
    "older discord token": discord_token(80351110224678912, "C1HoTQ", "x" * 27),
    "discord mfa token": "mfa." + "Zq9" * 28,
    "openai key": "sk-" + "A1b2C3d4" * 6,
    "openai project key": "sk-proj-" + "Ab1_Cd2-" * 10,
    "stripe live key": "sk_live_" + "51HxYz" * 12,
    "stripe test key": "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "stripe restricted key": "rk_live_" + "9aZ" * 12,
    "stripe webhook secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}


@pytest.mark.parametrize("secret", SAMPLES.values(), ids=SAMPLES.keys())
def test_each_secret_shape_is_redacted(secret: str) -> None:
    text = f"config loaded (key={secret}); retrying '{secret}'"
    redacted = redact(text)
    assert secret not in redacted
    assert redacted.count(REDACTED) == 2
    assert redacted.startswith("config loaded (key=")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value",
            f"Authorization: Bearer {REDACTED}",
        ),
        ("authorization: basic dXNlcjpwYXNzd29yZDEyMw==", f"authorization: basic {REDACTED}"),
        (
            "connecting to postgresql+asyncpg://botfleet:hunter2!@db.internal:5432/fleet",
            f"connecting to postgresql+asyncpg://botfleet:{REDACTED}@db.internal:5432/fleet",
        ),
        (
            "redis at redis://:s3cret@127.0.0.1:6379/0",
            f"redis at redis://:{REDACTED}@127.0.0.1:6379/0",
        ),
        ("url=https://user:p@ss@host/x", f"url=https://user:{REDACTED}@host/x"),
        (
            "dsn: host=db user=bot password=Tr0ub4dor&3 sslmode=require",
            "dsn: host=db user=bot password=" + REDACTED + "&3 sslmode=require",
        ),
        (
            "hook https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123 failed",
            f"hook https://discord.com/api/webhooks/123456789012345678/{REDACTED} failed",
        ),
    ],
)
def test_header_url_and_connection_string_secrets_keep_their_context(
    text: str, expected: str
) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Logged in as Hangman#1234 (id 412345678901234567)",
        "Bot started in 3 guilds",
        "Using redis://127.0.0.1:6379/0 and postgresql+asyncpg://db.internal:5432/fleet",
        "see https://example.com:8080/path/page and mail admin@example.com",
        "the bearer of bad news",
        "scikit-learn, task-42 and sk-short",
        "Database ready: sqlite+aiosqlite:///data/botfleet.db (sqlite)",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_registered_values_are_redacted_exactly_and_longest_first() -> None:
    base = uuid.uuid4().hex
    register_secret(base)
    register_secret(SecretStr(base + "-longer"))
    assert redact(f"a {base}-longer b {base} c") == f"a {REDACTED} b {REDACTED} c"


def test_short_or_empty_values_are_not_registered() -> None:
    register_secret("pw1")
    register_secret("")
    register_secret(None)
    assert redact("pw1 is my password hint") == "pw1 is my password hint"


def test_a_url_registers_only_its_credentials() -> None:
    password = f"Sp3c!al@{uuid.uuid4().hex[:8]}"
    encoded = password.replace("!", "%21").replace("@", "%40")
    register_secret(f"postgresql://fleet:{encoded}@db.example.net:5432/fleet")
    register_secret("sqlite+aiosqlite:///data/registered-path.db")
    assert redact(f"the password is {password}") == f"the password is {REDACTED}"
    assert redact(f"raw {encoded}") == f"raw {REDACTED}"
    assert redact("host db.example.net:5432") == "host db.example.net:5432"
    assert redact("file data/registered-path.db") == "file data/registered-path.db"


secret_strategies = {
    "discord": st.builds(
        discord_token,
        st.integers(min_value=10**16, max_value=2**63 - 1),
        st.text(BASE64URL, min_size=6, max_size=6),
        st.text(BASE64URL, min_size=27, max_size=38),
    ),
    "openai": st.text(string.ascii_letters + string.digits, min_size=20, max_size=64).map(
        lambda body: "sk-" + body
    ),
    "stripe": st.tuples(
        st.sampled_from(["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"]),
        st.text(string.ascii_letters + string.digits, min_size=10, max_size=60),
    ).map("".join),
}
surroundings = st.text(max_size=30)
separators = st.sampled_from([" ", "=", ": ", "'", '"', "(", "\n", "\t"])


@pytest.mark.parametrize("kind", sorted(secret_strategies))
@given(data=st.data())
def test_generated_secrets_are_redacted_in_any_surroundings(kind: str, data: st.DataObject) -> None:
    secret = data.draw(secret_strategies[kind])
    before, after = data.draw(surroundings), data.draw(surroundings)
    assume(secret not in before + after)
    text = before + data.draw(separators) + secret + data.draw(separators) + after
    assert secret not in redact(text)


@given(
    st.text(string.ascii_letters + string.digits + "-._~!$&'()*+,;=%:@", min_size=1, max_size=40),
    st.sampled_from(["postgresql", "postgresql+asyncpg", "redis", "rediss", "amqp", "https"]),
    st.text(string.ascii_letters + string.digits + "-._", max_size=12),
)
def test_generated_url_passwords_are_redacted(password: str, scheme: str, user: str) -> None:
    text = f"connecting to {scheme}://{user}:{password}@db.internal:5432/fleet now"
    expected = f"connecting to {scheme}://{user}:{REDACTED}@db.internal:5432/fleet now"
    assert redact(text) == expected


@given(st.text())
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_redact_value_walks_nested_structures_and_keeps_other_values() -> None:
    value = {"a": [SAMPLE_DISCORD_TOKEN, 3, None], "b": {"c": ("x", SAMPLES["openai key"])}}
    assert redact_value(value) == {"a": [REDACTED, 3, None], "b": {"c": ["x", REDACTED]}}


def record_with_secrets(message: str, args: tuple[object, ...]) -> logging.LogRecord:
    try:
        raise RuntimeError(f"gateway refused {SAMPLE_DISCORD_TOKEN}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "botfleet.tests", logging.ERROR, __file__, 1, message, args, exc_info
    )
    record.__dict__["context"] = f"key {SAMPLES['stripe live key']}"
    return record


def test_the_filter_redacts_arguments_traceback_and_extra_fields() -> None:
    record = record_with_secrets("login with %s failed %d times", (SAMPLE_DISCORD_TOKEN, 3))
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == f"login with {REDACTED} failed 3 times"
    assert record.args is None
    assert record.exc_text is not None
    assert "Traceback" in record.exc_text
    assert f"RuntimeError: gateway refused {REDACTED}" in record.exc_text
    assert SAMPLE_DISCORD_TOKEN not in record.exc_text
    assert record.__dict__["context"] == f"key {REDACTED}"


def test_the_filter_keeps_a_record_whose_arguments_do_not_fit_the_message() -> None:
    record = record_with_secrets("expected a number: %d", (SAMPLE_DISCORD_TOKEN,))
    assert RedactingFilter().filter(record) is True
    message = record.getMessage()
    assert message.startswith("expected a number: %d (arguments that do not fit the message:")
    assert REDACTED in message
    assert SAMPLE_DISCORD_TOKEN not in message


def test_sentry_events_are_redacted_throughout() -> None:
    event = {
        "message": f"charge failed with {SAMPLES['stripe live key']}",
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "value": f"bad token {SAMPLE_DISCORD_TOKEN}",
                    "stacktrace": {
                        "frames": [{"lineno": 12, "vars": {"key": repr(SAMPLES["openai key"])}}]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": "GET redis://:pw-123456@cache:6379/0"}]},
    }
    redacted = redact_sentry_event(event, {})  # type: ignore[arg-type]
    assert redacted is not None
    text = repr(redacted)
    for secret in (
        SAMPLES["stripe live key"],
        SAMPLE_DISCORD_TOKEN,
        SAMPLES["openai key"],
        "pw-123456",
    ):
        assert secret not in text
    assert redacted["exception"]["values"][0]["stacktrace"]["frames"][0]["lineno"] == 12
    assert redacted["exception"]["values"][0]["type"] == "RuntimeError"
