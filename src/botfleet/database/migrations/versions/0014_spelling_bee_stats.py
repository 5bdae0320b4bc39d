"""Spelling Bee Bot's puzzle records per member, guilds' day scores, the daily post's zone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.add_column("spelling_bee_channels", sa.Column("timezone", sa.Text(), nullable=True))
    op.create_table(
        "spelling_bee_days",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("puzzle_day", sa.Text(), nullable=False),
        _counter("score"),
        sa.PrimaryKeyConstraint("guild_id", "puzzle_day", name=op.f("pk_spelling_bee_days")),
    )
    op.create_table(
        "spelling_bee_puzzle_stats",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        _counter("days_played"),
        _counter("words_found"),
        _counter("pangrams"),
        _counter("points"),
        sa.Column("last_day", sa.Text(), nullable=False),
        _counter("day_points"),
        _counter("best_day"),
        _counter("current_streak"),
        _counter("best_streak"),
        _counter("genius_days"),
        _counter("queen_bee_days"),
        sa.Column(
            "last_played_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_spelling_bee_puzzle_stats")),
    )
    op.create_index(
        "ix_spelling_bee_puzzle_stats_ranking",
        "spelling_bee_puzzle_stats",
        ["guild_id", "points"],
    )
    op.create_index(
        "ix_spelling_bee_puzzle_stats_user_id", "spelling_bee_puzzle_stats", ["user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_spelling_bee_puzzle_stats_user_id", table_name="spelling_bee_puzzle_stats")
    op.drop_index("ix_spelling_bee_puzzle_stats_ranking", table_name="spelling_bee_puzzle_stats")
    op.drop_table("spelling_bee_puzzle_stats")
    op.drop_table("spelling_bee_days")
    with op.batch_alter_table("spelling_bee_channels") as batch:
        batch.drop_column("timezone")
