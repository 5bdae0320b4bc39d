"""The cross-bot events: what one bot tells the others, typed, with an id for idempotency.

Each event names its ``topic``; its ``routing_key`` (the topic, or the topic and the one bot it
is for) decides which subscriptions receive it. The ``event_id`` travels with it, so a consumer
that receives it twice (a broker's redelivery, a publisher's retry) acts once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class FleetEvent(BaseModel):
    """Base of every cross-bot event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: ClassVar[str]
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source_bot: str

    @property
    def routing_key(self) -> str:
        """What a subscription matches: the topic, unless the event is for one bot."""
        return self.topic


class XPAnnouncement(FleetEvent):
    """A level-up or achievement for the announcing bot (the host bot for chat) to say."""

    topic: ClassVar[str] = "xp.announcement"
    announcer: str
    notice: dict[str, Any]
    """The announcement as the XP extension describes it (its ``Notice``)."""

    @property
    def routing_key(self) -> str:
        return announcement_key(self.announcer)


class PremiumChanged(FleetEvent):
    """Whose premium changed: a member (``user_id``) or a server (``guild_id``)."""

    user_id: int | None = None
    guild_id: int | None = None


class PremiumGranted(PremiumChanged):
    """A member or guild became premium (a payment, an owner's grant)."""

    topic: ClassVar[str] = "premium.granted"
    tier: int
    expires_at: datetime | None = None


class PremiumRevoked(PremiumChanged):
    """A member's or guild's premium ended before its time: a refund, a dispute, an operator's
    revocation (``ends_at`` is then), or a subscription ended (at the end of what it paid)."""

    topic: ClassVar[str] = "premium.revoked"
    ends_at: datetime


class MemberBanned(FleetEvent):
    """A member was banned from a guild, for every bot to forget them there."""

    topic: ClassVar[str] = "member.banned"
    guild_id: int
    user_id: int
    moderator_id: int | None = None
    reason: str | None = None


class MemberDataDeleted(FleetEvent):
    """A member's data was deleted on their request (``botfleet data delete-user``), for every
    bot to drop what it still holds of them outside the database: cached records, unsaved XP."""

    topic: ClassVar[str] = "member.data_deleted"
    user_id: int


EVENT_TYPES: dict[str, type[FleetEvent]] = {
    event.topic: event
    for event in (XPAnnouncement, PremiumGranted, PremiumRevoked, MemberBanned, MemberDataDeleted)
}
"""Every event by topic: how a received message is decoded."""


def announcement_key(announcer: str) -> str:
    """The routing key of the announcements one bot makes."""
    return f"{XPAnnouncement.topic}.{announcer}"


class UnknownEventError(ValueError):
    """A message whose topic no event type of this version declares."""


def decode_event(topic: str, body: bytes) -> FleetEvent:
    """The event a message carries; raises :class:`UnknownEventError` or a validation error."""
    event_type = EVENT_TYPES.get(topic)
    if event_type is None:
        raise UnknownEventError(f"no event type has the topic {topic!r}")
    return event_type.model_validate_json(body)
