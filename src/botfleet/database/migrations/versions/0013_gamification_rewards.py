"""Ranking versions: the order of each member's leaderboard changes, for the Redis rankings.

Every transaction that changes a member's leaderboard values raises their version, so a Redis
write can tell an older state from a newer one whatever order the bot processes publish in (an
administrator's XP removal is never overwritten by an award saved before it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "xp_ranking_versions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_xp_ranking_versions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_xp_ranking_versions")),
    )


def downgrade() -> None:
    op.drop_table("xp_ranking_versions")
