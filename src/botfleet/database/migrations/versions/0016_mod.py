"""Mod Bot: case logs and their counters, warnings, staff notes, bans in force, settings.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mod_case_counters",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mod_case_counters")),
    )
    op.create_table(
        "mod_cases",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("target_name", sa.Text(), nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("until", _timestamp(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("modlog_message_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_text", sa.Text(), nullable=True),
        sa.Column("amended_at", _timestamp(), nullable=True),
        sa.Column("amended_by", sa.BigInteger(), nullable=True),
        # One number per guild: the key refuses a duplicate even if the counter were bypassed.
        sa.PrimaryKeyConstraint("guild_id", "number", name=op.f("pk_mod_cases")),
    )
    # `cases @member`, and data-deletion requests.
    op.create_index("ix_mod_cases_guild_id_target_id", "mod_cases", ["guild_id", "target_id"])
    op.create_table(
        "mod_warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_warnings")),
    )
    op.create_index("ix_mod_warnings_guild_id_user_id", "mod_warnings", ["guild_id", "user_id"])
    op.create_table(
        "mod_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_notes")),
    )
    op.create_index("ix_mod_notes_guild_id_user_id", "mod_notes", ["guild_id", "user_id"])
    op.create_table(
        "mod_bans",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=False),
        sa.Column("until", _timestamp(), nullable=True),
        sa.Column("timer_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_mod_bans")),
    )
    op.create_table(
        "mod_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("warnings", _json(), nullable=False),
        sa.Column("automod", _json(), nullable=False),
        sa.Column("automod_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mod_settings")),
    )


def downgrade() -> None:
    op.drop_table("mod_settings")
    op.drop_table("mod_bans")
    op.drop_index("ix_mod_notes_guild_id_user_id", table_name="mod_notes")
    op.drop_table("mod_notes")
    op.drop_index("ix_mod_warnings_guild_id_user_id", table_name="mod_warnings")
    op.drop_table("mod_warnings")
    op.drop_index("ix_mod_cases_guild_id_target_id", table_name="mod_cases")
    op.drop_table("mod_cases")
    op.drop_table("mod_case_counters")
