"""Spelling Bee Bot: each guild's puzzle channel and daily post, and the words it found.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "spelling_bee_channels",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("set_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("daily_time", sa.Text(), nullable=True),
        sa.Column("daily_key", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_spelling_bee_channels")),
    )
    op.create_table(
        "spelling_bee_finds",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("puzzle_day", sa.Text(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("found_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "puzzle_day", "word", name=op.f("pk_spelling_bee_finds")
        ),
    )
    op.create_index("ix_spelling_bee_finds_user_id", "spelling_bee_finds", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_spelling_bee_finds_user_id", table_name="spelling_bee_finds")
    op.drop_table("spelling_bee_finds")
    op.drop_table("spelling_bee_channels")
