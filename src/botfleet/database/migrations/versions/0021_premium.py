"""Premium as state: memberships until a date, applied payment events, the audit, the DM outbox.

Members and servers flagged premium by hand before this revision keep it: they get a membership
from the ``legacy`` provider that does not end.

Revision ID: 0021
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "premium_memberships",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("premium_until", _timestamp(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_at", _timestamp(), nullable=False),
        sa.Column("tier", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("provider_subscription_id", sa.Text(), nullable=True),
        sa.Column("provider_customer_id", sa.Text(), nullable=True),
        sa.Column("purchaser_id", sa.BigInteger(), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject_id", name=op.f("pk_premium_memberships")),
    )
    op.create_index(
        "ix_premium_memberships_subscription",
        "premium_memberships",
        ["provider", "provider_subscription_id"],
    )
    op.create_index(
        "ix_premium_memberships_customer",
        "premium_memberships",
        ["provider", "provider_customer_id"],
    )
    op.create_table(
        "premium_events",
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("received_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_premium_events")),
    )
    op.create_table(
        "premium_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("premium_until", _timestamp(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_audit")),
    )
    op.create_index("ix_premium_audit_subject", "premium_audit", ["scope", "subject_id"])
    op.create_table(
        "premium_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", _timestamp(), nullable=True),
        sa.Column("undeliverable", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premium_outbox")),
    )
    op.create_index("ix_premium_outbox_pending", "premium_outbox", ["sent_at", "id"])
    for scope, table in (("user", "users"), ("guild", "guilds")):
        # The table is one of the two names above, never input.
        copy_legacy = (
            "INSERT INTO premium_memberships (scope, subject_id, premium_until, status, "  # noqa: S608
            "status_at, tier, plan, provider) "
            "SELECT :scope, id, :until, 'active', CURRENT_TIMESTAMP, "
            "CASE WHEN premium_tier > 0 THEN premium_tier ELSE 1 END, 'legacy', 'legacy' "
            f"FROM {table} WHERE is_premium"
        )
        op.execute(
            sa.text(copy_legacy).bindparams(
                sa.bindparam("scope", scope),
                sa.bindparam("until", LEGACY_UNTIL, type_=_timestamp()),
            )
        )


def downgrade() -> None:
    op.drop_index("ix_premium_outbox_pending", table_name="premium_outbox")
    op.drop_table("premium_outbox")
    op.drop_index("ix_premium_audit_subject", table_name="premium_audit")
    op.drop_table("premium_audit")
    op.drop_table("premium_events")
    op.drop_index("ix_premium_memberships_customer", table_name="premium_memberships")
    op.drop_index("ix_premium_memberships_subscription", table_name="premium_memberships")
    op.drop_table("premium_memberships")
