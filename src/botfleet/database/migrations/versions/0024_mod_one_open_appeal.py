"""Mod: one open appeal per member and server, enforced by the database.

Two submits of the appeal form could both find no open appeal and both store one (the staff
saw it twice). A partial unique index makes the second insert fail. Open duplicates already
stored (the newer of a pair that raced) are closed first, undecided by anyone.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.execute(
        "UPDATE mod_appeals SET status = 'denied' WHERE status = 'open' AND id NOT IN "
        "(SELECT MIN(id) FROM mod_appeals WHERE status = 'open' GROUP BY guild_id, user_id)"
    )
    op.create_index(
        "uq_mod_appeals_open",
        "mod_appeals",
        ["guild_id", "user_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_mod_appeals_open", table_name="mod_appeals")
