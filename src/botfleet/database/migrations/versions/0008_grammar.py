"""The Grammar Bot's auto-check channels and members' daily check statistics.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ISSUE_COLUMNS = (
    "spelling_issues",
    "grammar_issues",
    "punctuation_issues",
    "capitalization_issues",
    "word_choice_issues",
    "style_issues",
)


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "grammar_channels",
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("strictness", sa.Text(), nullable=False),
        sa.Column("enabled_by", sa.BigInteger(), nullable=True),
        sa.Column("enabled_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_grammar_channels")),
    )
    # Listing a guild's channels, and the cache warming one guild at a time.
    op.create_index("ix_grammar_channels_guild_id", "grammar_channels", ["guild_id"])
    op.create_table(
        "grammar_daily_stats",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _counter("checks"),
        _counter("clean_checks"),
        *(_counter(name) for name in _ISSUE_COLUMNS),
        sa.PrimaryKeyConstraint("user_id", "guild_id", "day", name=op.f("pk_grammar_daily_stats")),
    )


def downgrade() -> None:
    op.drop_table("grammar_daily_stats")
    op.drop_index("ix_grammar_channels_guild_id", table_name="grammar_channels")
    op.drop_table("grammar_channels")
