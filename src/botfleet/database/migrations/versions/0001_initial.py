"""Initial schema: users, guilds, per-bot stats, achievements and leaderboards.

Revision ID: 0001
Revises:
Create Date: 2025-12-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GLOBAL_ENTRY = sa.text("guild_id IS NULL")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("discriminator", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("total_xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_premium", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("premium_since", _timestamp(), nullable=True),
        sa.Column("premium_tier", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("token_expires_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("idx_users_level", "users", ["level"])

    op.create_table(
        "guilds",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("joined_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("prefix", sa.Text(), server_default="!", nullable=False),
        sa.Column("locale", sa.Text(), server_default="en-US", nullable=False),
        sa.Column("is_premium", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("premium_tier", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guilds")),
    )

    op.create_table(
        "user_bot_stats",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_name", sa.Text(), nullable=False),
        sa.Column("command_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_active", _timestamp(), nullable=True),
        sa.Column("stats", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_bot_stats_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "bot_name", name=op.f("pk_user_bot_stats")),
    )
    op.create_index("idx_user_stats_last_active", "user_bot_stats", ["last_active"])

    op.create_table(
        "achievements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("rarity", sa.Text(), nullable=True),
        sa.Column("points", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("icon_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
        sa.UniqueConstraint("name", name=op.f("uq_achievements_name")),
    )

    op.create_table(
        "user_achievements",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("unlocked_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("progress", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_user_achievements_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_achievements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "achievement_id", name=op.f("pk_user_achievements")),
    )

    op.create_table(
        "leaderboard_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_leaderboard_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaderboard_entries")),
        sa.UniqueConstraint(
            "user_id",
            "guild_id",
            "category",
            "period",
            "period_start",
            name="uq_leaderboard_entries_entry",
        ),
    )
    op.create_index(
        "uq_leaderboard_entries_global_entry",
        "leaderboard_entries",
        ["user_id", "category", "period", "period_start"],
        unique=True,
        sqlite_where=GLOBAL_ENTRY,
        postgresql_where=GLOBAL_ENTRY,
    )
    op.create_index(
        "idx_leaderboard_composite",
        "leaderboard_entries",
        ["guild_id", "category", "period", "period_start"],
    )


def downgrade() -> None:
    # Dropping a table drops its indexes too.
    op.drop_table("leaderboard_entries")
    op.drop_table("user_achievements")
    op.drop_table("achievements")
    op.drop_table("user_bot_stats")
    op.drop_table("guilds")
    op.drop_table("users")
