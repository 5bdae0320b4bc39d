"""What the payment stand-ins share: the events they made, and sending them to the endpoint.

A stand-in sends each event when it happens (``deliver``), or keeps it for a test that sends
events in its own order, several times, or at once. Every delivery and the endpoint's answer is
recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(slots=True)
class Delivery:
    """One webhook sent: the event and how the endpoint answered."""

    event: dict[str, Any]
    status: int


@dataclass(slots=True)
class WebhookSender:
    url: str | None = None
    deliver: bool = True
    """Send events as they happen; False keeps them in :attr:`events` for a test to send."""
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def of_type(self, event_type: str, key: str = "type") -> list[dict[str, Any]]:
        return [event for event in self.events if event[key] == event_type]

    async def post(self, event: dict[str, Any], body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` (the event, signed in ``headers``) to the endpoint; its status."""
        if self.url is None:
            raise RuntimeError("no webhook endpoint: set the stand-in's webhook_url first")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json", **headers}
        async with self._session.post(self.url, data=body, headers=headers) as response:
            await response.read()
        self.deliveries.append(Delivery(event, response.status))
        return response.status


def public_view(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as the API shows it: a copy without the stand-in's own ``_`` keys."""
    public: dict[str, Any] = json.loads(
        json.dumps({key: value for key, value in obj.items() if not key.startswith("_")})
    )
    return public
