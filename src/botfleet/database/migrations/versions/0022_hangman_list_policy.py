"""Hangman: each server word list records its content policy (safe unless an admin opted out).

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "hangman_guild_words",
        sa.Column("policy", sa.Text(), server_default="safe", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("hangman_guild_words", "policy")
