"""Leaderboards: member counts per value bucket, kept by triggers, so a rank is a short sum.

A member's rank is the members in higher buckets (a sum over at most a few thousand bucket
rows) plus those ahead in their own bucket (a short range of the ranking index), instead of a
count of everyone ahead. Every write to ``leaderboard_entries`` (saves, administrators' changes,
pruning, deleted members) keeps the counts through the triggers, in the same transaction. The
triggers only insert rows of +1 or -1 (no shared row is updated, so concurrent saves never wait
on each other here); they are folded by the application now and then.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bucket(value: str) -> str:
    """The first value of ``value``'s bucket: exact below 1,024, then ever wider."""
    return (
        f"(CASE WHEN {value} < 1024 THEN {value} "
        f"WHEN {value} < 65536 THEN {value} - {value} % 64 "
        f"WHEN {value} < 4194304 THEN {value} - {value} % 4096 "
        f"ELSE {value} - {value} % 262144 END)"
    )


def _change(row: str, members: int) -> str:
    return (
        "INSERT INTO leaderboard_rank_buckets "
        "(scope, category, period, period_start, bucket, members) "
        f"SELECT COALESCE({row}.guild_id, 0), {row}.category, {row}.period, "
        f"{row}.period_start, {_bucket(f'{row}.value')}, {members}"
    )


_SAME_PLACE = (
    "OLD.value > 0 AND NEW.value > 0 AND {same_guild} AND NEW.category = OLD.category "
    "AND NEW.period = OLD.period AND NEW.period_start = OLD.period_start AND "
    f"{_bucket('NEW.value')} = {_bucket('OLD.value')}"
)

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION leaderboard_rank_buckets_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.value > 0 THEN
      {_change("OLD", -1)};
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.value > 0 THEN
      {_change("NEW", 1)};
    END IF;
  END IF;
  RETURN NULL;
END
$$
"""

_PLACE_CHANGED = (
    f"NOT ({_SAME_PLACE.format(same_guild='NEW.guild_id IS NOT DISTINCT FROM OLD.guild_id')})"
)
POSTGRESQL_TRIGGERS = (
    # The conditions run without calling the function: most saves raise a value inside its
    # bucket, and cost no more than this test.
    ("insert", "INSERT", "NEW.value > 0"),
    ("delete", "DELETE", "OLD.value > 0"),
    ("update", "UPDATE", _PLACE_CHANGED),
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER leaderboard_rank_buckets_insert AFTER INSERT ON leaderboard_entries "
    f"WHEN NEW.value > 0 BEGIN {_change('NEW', 1)}; END",
    "CREATE TRIGGER leaderboard_rank_buckets_delete AFTER DELETE ON leaderboard_entries "
    f"WHEN OLD.value > 0 BEGIN {_change('OLD', -1)}; END",
    "CREATE TRIGGER leaderboard_rank_buckets_update AFTER UPDATE ON leaderboard_entries "
    f"WHEN NOT ({_SAME_PLACE.format(same_guild='NEW.guild_id IS OLD.guild_id')}) BEGIN "
    f"{_change('OLD', -1)} WHERE OLD.value > 0; {_change('NEW', 1)} WHERE NEW.value > 0; END",
)


BACKFILL = (
    "INSERT INTO leaderboard_rank_buckets "  # noqa: S608 (this module's constants only)
    "(scope, category, period, period_start, bucket, members) "
    f"SELECT COALESCE(guild_id, 0), category, period, period_start, {_bucket('value')}, "
    "COUNT(*) FROM leaderboard_entries WHERE value > 0 "
    f"GROUP BY COALESCE(guild_id, 0), category, period, period_start, {_bucket('value')}"
)


def upgrade() -> None:
    op.create_table(
        "leaderboard_rank_buckets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("scope", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaderboard_rank_buckets")),
    )
    op.create_index(
        "ix_leaderboard_rank_buckets_board",
        "leaderboard_rank_buckets",
        ["scope", "category", "period", "period_start", "bucket", "members"],
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A save committed between the backfill's snapshot and the triggers' creation would be
        # counted by neither (bots keep saving during a rolling upgrade): saves wait until
        # this migration commits. SQLite's one writer already excludes them.
        op.execute("LOCK TABLE leaderboard_entries IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL)
    if postgresql:
        op.execute(POSTGRESQL_FUNCTION)
        for name, event, condition in POSTGRESQL_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER leaderboard_rank_buckets_{name} AFTER {event} "
                f"ON leaderboard_entries FOR EACH ROW WHEN ({condition}) "
                "EXECUTE FUNCTION leaderboard_rank_buckets_track()"
            )
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in ("insert", "delete", "update"):
        on_table = " ON leaderboard_entries" if postgresql else ""
        op.execute(f"DROP TRIGGER leaderboard_rank_buckets_{name}{on_table}")
    if postgresql:
        op.execute("DROP FUNCTION leaderboard_rank_buckets_track()")
    op.drop_index("ix_leaderboard_rank_buckets_board", table_name="leaderboard_rank_buckets")
    op.drop_table("leaderboard_rank_buckets")
