"""Spelling Bee Bot's classic mode: each member's record per server.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "spelling_bee_classic_stats",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        _counter("games_played"),
        _counter("games_won"),
        _counter("words_spelled"),
        _counter("words_missed"),
        _counter("best_run"),
        sa.Column(
            "last_played",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_spelling_bee_classic_stats")),
    )
    op.create_index(
        "ix_spelling_bee_classic_stats_user_id", "spelling_bee_classic_stats", ["user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_spelling_bee_classic_stats_user_id", table_name="spelling_bee_classic_stats")
    op.drop_table("spelling_bee_classic_stats")
