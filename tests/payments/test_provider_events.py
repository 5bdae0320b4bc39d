"""A verified webhook body read as an event, the same way for every provider."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from botfleet.payments.errors import WebhookRejectedError
from botfleet.payments.events import ProviderEvent, decode_event

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def fields(body: Any) -> tuple[str, datetime, Any]:
    return str(body["kind"]), datetime.fromtimestamp(int(body["at"]), UTC), body["about"]


def test_the_fields_the_provider_names_make_the_event() -> None:
    raw = json.dumps({"id": 7, "kind": "paid", "at": AT.timestamp(), "about": {"x": 1}}).encode()

    assert decode_event(raw, "Stripe", fields) == ProviderEvent("7", "paid", AT, {"x": 1})


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"kind": "paid", "at": 0, "about": {}}).encode(),
        json.dumps({"id": "e", "kind": "paid", "at": "soon", "about": {}}).encode(),
        json.dumps({"id": "e", "kind": "paid", "at": 0, "about": 3}).encode(),
    ],
    ids=["not-json", "not-an-object", "no-id", "bad-time", "object-not-a-mapping"],
)
def test_a_body_that_is_not_an_event_is_rejected_naming_the_provider(raw: bytes) -> None:
    with pytest.raises(WebhookRejectedError, match=r"^not a Stripe event"):
        decode_event(raw, "Stripe", fields)
