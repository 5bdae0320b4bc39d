"""Mod Bot defences: raid mode per guild and ban appeals.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mod_defence",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("raid", _json(), nullable=False),
        sa.Column("raid_since", _timestamp(), nullable=True),
        sa.Column("restore_level", sa.Integer(), nullable=True),
        sa.Column("flagged", _json(), nullable=False),
        sa.Column("appeals_channel_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mod_defence")),
    )
    op.create_table(
        "mod_appeals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("staff_message_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_message_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_appeals")),
    )
    op.create_index(
        "ix_mod_appeals_guild_id_user_id", "mod_appeals", ["guild_id", "user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mod_appeals_guild_id_user_id", table_name="mod_appeals")
    op.drop_table("mod_appeals")
    op.drop_table("mod_defence")
