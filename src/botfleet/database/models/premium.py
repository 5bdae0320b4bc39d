"""Tables of premium (migration 0021): who has it until when, the events applied, the audit, DMs.

Premium is state, not increments: one row per member or server holds ``premium_until``, which a
payment only ever moves to the later of itself and the paid period's end. Every payment event is
recorded under a unique (provider, event id) in the same transaction as its change, so a replay
changes nothing; the messages a change owes the member are written to the outbox in that same
transaction and sent by a bot after commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime


class PremiumMembership(Base):
    """The premium of one member (scope ``user``) or one server (scope ``guild``)."""

    __tablename__ = "premium_memberships"
    __table_args__ = (
        Index("ix_premium_memberships_subscription", "provider", "provider_subscription_id"),
        Index("ix_premium_memberships_customer", "provider", "provider_customer_id"),
    )

    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    premium_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(Text)
    """``active``, ``past_due`` (a renewal failed), ``canceled`` or ``revoked``."""
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the event that set ``status`` happened: an older event never overrides it."""
    tier: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    plan: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(Text)
    provider_subscription_id: Mapped[str | None] = mapped_column(Text)
    provider_customer_id: Mapped[str | None] = mapped_column(Text)
    purchaser_id: Mapped[int | None] = mapped_column(BigInteger)
    """The Discord user who paid: the one messaged about this premium."""
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class PremiumEvent(Base):
    """A payment event applied: its key refuses a second application of the same event."""

    __tablename__ = "premium_events"

    provider: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    event_type: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class PremiumAudit(Base):
    """An operator's grant or revocation of premium, by hand."""

    __tablename__ = "premium_audit"
    __table_args__ = (Index("ix_premium_audit_subject", "scope", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(Text)
    """Who did it: a Discord user id, or ``cli:<login>`` for the command line."""
    scope: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    premium_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class PremiumOutbox(Base):
    """A direct message premium owes a member, sent by a bot after the change committed."""

    __tablename__ = "premium_outbox"
    __table_args__ = (Index("ix_premium_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it was handled: delivered, or given up (see ``undeliverable``)."""
    undeliverable: Mapped[str | None] = mapped_column(Text)
    """Why it could not be delivered (``dms_closed``: Discord's 50007); null when delivered."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
