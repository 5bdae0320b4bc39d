"""The Utility Bot's tags, and each guild's welcome and goodbye settings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("guild_id", "name_key", name="uq_tags_guild_id_name_key"),
    )
    op.create_index(op.f("ix_tags_owner_id"), "tags", ["owner_id"])
    op.create_table(
        "welcome_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("welcome_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("welcome_message", sa.Text(), nullable=True),
        sa.Column("welcome_card", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("goodbye_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("goodbye_message", sa.Text(), nullable=True),
        sa.Column(
            "join_role_ids",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("join_role_delay", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_welcome_settings")),
    )


def downgrade() -> None:
    op.drop_table("welcome_settings")
    op.drop_index(op.f("ix_tags_owner_id"), table_name="tags")
    op.drop_table("tags")
