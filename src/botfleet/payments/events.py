"""A provider's webhook event once its signature held, whichever provider sent it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botfleet.payments.errors import WebhookRejectedError


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified event: its id, type, when it happened, and the object it is about."""

    id: str
    type: str
    created: datetime
    object: dict[str, Any]


def decode_event(
    raw: bytes, provider: str, fields: Callable[[Any], tuple[str, datetime, Any]]
) -> ProviderEvent:
    """The event in a verified body; ``fields`` reads its type, time and object from the JSON.

    A body that is not JSON, or lacks what ``fields`` reads, is rejected as not the provider's.
    """
    try:
        body = json.loads(raw)
        event_id = str(body["id"])
        kind, created, about = fields(body)
        return ProviderEvent(id=event_id, type=kind, created=created, object=dict(about))
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejectedError(f"not a {provider} event: {exc!r}") from exc
