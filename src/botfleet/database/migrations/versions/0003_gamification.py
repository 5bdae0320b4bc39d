"""Gamification: per-guild XP and settings, role rewards, achievement rules, XP audit log.

Also seeds the fleet's achievement catalogue (definitions and the rules that unlock them) and
adds the ranking index of the leaderboards.

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _Seed(NamedTuple):
    id: int
    name: str
    description: str
    category: str
    rarity: str
    points: int
    metric: str
    target: int
    reward_xp: int


# The catalogue as it stood at this revision: later revisions add or change achievements with
# migrations of their own, never by editing this list. Seeded achievements have fixed ids (from
# 1001), the same in every database, so what refers to them survives a move from SQLite to
# PostgreSQL; lower ids are left to achievements created at run time.
ACHIEVEMENTS: tuple[_Seed, ...] = (
    _Seed(1001, "Getting Started", "Reach level 5.", "leveling", "common", 10, "level", 5, 50),
    _Seed(1002, "Regular", "Reach level 10.", "leveling", "rare", 25, "level", 10, 150),
    _Seed(1003, "Veteran", "Reach level 25.", "leveling", "epic", 50, "level", 25, 500),
    _Seed(1004, "Legend", "Reach level 50.", "leveling", "legendary", 100, "level", 50, 1500),
    _Seed(
        1005,
        "First Words",
        "Earn XP with a chat message.",
        "activity",
        "common",
        5,
        "messages",
        1,
        0,
    ),
    _Seed(
        1006,
        "Chatterbox",
        "Earn XP with 100 chat messages.",
        "activity",
        "common",
        10,
        "messages",
        100,
        50,
    ),
    _Seed(
        1007,
        "Conversationalist",
        "Earn XP with 1,000 chat messages.",
        "activity",
        "rare",
        25,
        "messages",
        1000,
        150,
    ),
    _Seed(
        1008,
        "Voice of the Server",
        "Earn XP with 10,000 chat messages.",
        "activity",
        "epic",
        50,
        "messages",
        10000,
        500,
    ),
    _Seed(1009, "Curious", "Use 10 commands.", "commands", "common", 5, "commands", 10, 0),
    _Seed(1010, "Power User", "Use 100 commands.", "commands", "rare", 20, "commands", 100, 150),
    _Seed(
        1011, "Command Master", "Use 1,000 commands.", "commands", "epic", 50, "commands", 1000, 500
    ),
    _Seed(1012, "First Victory", "Win a game in any bot.", "games", "common", 10, "wins", 1, 50),
    _Seed(1013, "Seasoned Player", "Win 25 games.", "games", "rare", 25, "wins", 25, 150),
    _Seed(1014, "Champion", "Win 100 games.", "games", "epic", 50, "wins", 100, 500),
    _Seed(
        1015,
        "On a Roll",
        "Win 5 games in a row in one game.",
        "games",
        "rare",
        25,
        "streak",
        5,
        150,
    ),
    _Seed(
        1016,
        "Untouchable",
        "Win 10 games in a row in one game.",
        "games",
        "legendary",
        100,
        "streak",
        10,
        1500,
    ),
    _Seed(
        1017,
        "Word Detective",
        "Win 10 games of Hangman.",
        "hangman",
        "rare",
        20,
        "hangman:win",
        10,
        150,
    ),
    _Seed(
        1018,
        "Pangram Hunter",
        "Find a pangram in Spelling Bee.",
        "spelling_bee",
        "rare",
        20,
        "spelling_bee:pangram",
        1,
        150,
    ),
    _Seed(
        1019,
        "Queen Bee",
        "Find 25 pangrams in Spelling Bee.",
        "spelling_bee",
        "epic",
        50,
        "spelling_bee:pangram",
        25,
        500,
    ),
    _Seed(
        1020,
        "Spelling Star",
        "Spell 100 words correctly in Spelling Bee.",
        "spelling_bee",
        "rare",
        25,
        "spelling_bee:correct_spelling",
        100,
        150,
    ),
)

_achievements = sa.table(
    "achievements",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.Text()),
    sa.column("description", sa.Text()),
    sa.column("category", sa.Text()),
    sa.column("rarity", sa.Text()),
    sa.column("points", sa.Integer()),
)
_rules = sa.table(
    "achievement_rules",
    sa.column("achievement_id", sa.Integer()),
    sa.column("metric", sa.Text()),
    sa.column("target", sa.Integer()),
    sa.column("reward_xp", sa.Integer()),
)
_user_achievements = sa.table("user_achievements", sa.column("achievement_id", sa.Integer()))


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _users_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def _achievements_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["achievement_id"],
        ["achievements.id"],
        name=op.f(f"fk_{table}_achievement_id_achievements"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _create_tables()
    op.create_index(
        "ix_leaderboard_entries_ranking",
        "leaderboard_entries",
        ["guild_id", "category", "period", "period_start", "value", "user_id"],
    )
    _seed_achievements()


def _create_tables() -> None:
    op.create_table(
        "guild_xp_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("message_xp_min", sa.Integer(), nullable=True),
        sa.Column("message_xp_max", sa.Integer(), nullable=True),
        sa.Column("message_cooldown_seconds", sa.Integer(), nullable=True),
        sa.Column("command_xp", sa.Integer(), nullable=True),
        sa.Column("game_xp", _json(), nullable=True),
        sa.Column("no_xp_channel_ids", _json(), nullable=True),
        sa.Column("no_xp_role_ids", _json(), nullable=True),
        sa.Column("announcement_mode", sa.Text(), nullable=True),
        sa.Column("announcement_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("role_reward_mode", sa.Text(), nullable=True),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_xp_settings")),
    )
    op.create_table(
        "member_xp",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("last_message_xp_at", _timestamp(), nullable=True),
        sa.Column("message_xp_ready_at", _timestamp(), nullable=True),
        _users_fk("member_xp"),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_member_xp")),
    )
    op.create_index("ix_member_xp_user_id", "member_xp", ["user_id"])
    op.create_table(
        "level_role_rewards",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "role_id", name=op.f("pk_level_role_rewards")),
    )
    op.create_table(
        "achievement_rules",
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("reward_xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _achievements_fk("achievement_rules"),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_achievement_rules")),
    )
    op.create_index("ix_achievement_rules_metric", "achievement_rules", ["metric"])
    op.create_table(
        "achievement_role_rewards",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.BigInteger(), nullable=False),
        _achievements_fk("achievement_role_rewards"),
        sa.PrimaryKeyConstraint(
            "guild_id", "achievement_id", name=op.f("pk_achievement_role_rewards")
        ),
    )
    op.create_table(
        "xp_audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("xp_before", sa.Integer(), nullable=False),
        sa.Column("xp_after", sa.Integer(), nullable=False),
        sa.Column("level_before", sa.Integer(), nullable=False),
        sa.Column("level_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        _users_fk("xp_audit_log"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_audit_log")),
    )
    op.create_index(
        "ix_xp_audit_log_guild_id_created_at", "xp_audit_log", ["guild_id", "created_at"]
    )
    op.create_index("ix_xp_audit_log_user_id", "xp_audit_log", ["user_id"])
    op.create_index("ix_xp_audit_log_actor_id", "xp_audit_log", ["actor_id"])
    op.create_table(
        "xp_flush_batches",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("applied_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_flush_batches")),
    )
    op.create_index("ix_xp_flush_batches_applied_at", "xp_flush_batches", ["applied_at"])


def _seed_achievements() -> None:
    connection = op.get_bind()
    names = [seed.name for seed in ACHIEVEMENTS]
    existing = set(
        connection.scalars(sa.select(_achievements.c.name).where(_achievements.c.name.in_(names)))
    )
    missing = [seed for seed in ACHIEVEMENTS if seed.name not in existing]
    if missing:
        op.bulk_insert(
            _achievements,
            [
                {
                    "id": seed.id,
                    "name": seed.name,
                    "description": seed.description,
                    "category": seed.category,
                    "rarity": seed.rarity,
                    "points": seed.points,
                }
                for seed in missing
            ],
        )
    ids = dict(
        connection.execute(
            sa.select(_achievements.c.name, _achievements.c.id).where(
                _achievements.c.name.in_(names)
            )
        ).all()
    )
    op.bulk_insert(
        _rules,
        [
            {
                "achievement_id": ids[seed.name],
                "metric": seed.metric,
                "target": seed.target,
                "reward_xp": seed.reward_xp,
            }
            for seed in ACHIEVEMENTS
        ],
    )


def downgrade() -> None:
    connection = op.get_bind()
    # Only what this revision inserted: an achievement of the same name made earlier stays.
    seeded = sa.or_(
        *(
            sa.and_(_achievements.c.id == seed.id, _achievements.c.name == seed.name)
            for seed in ACHIEVEMENTS
        )
    )
    # Foreign keys are off on SQLite during migrations: remove the unlocks explicitly.
    connection.execute(
        sa.delete(_user_achievements).where(
            _user_achievements.c.achievement_id.in_(sa.select(_achievements.c.id).where(seeded))
        )
    )
    op.drop_index("ix_leaderboard_entries_ranking", table_name="leaderboard_entries")
    op.drop_table("xp_flush_batches")
    op.drop_table("xp_audit_log")
    op.drop_table("achievement_role_rewards")
    op.drop_table("achievement_rules")
    op.drop_table("level_role_rewards")
    op.drop_table("member_xp")
    op.drop_table("guild_xp_settings")
    connection.execute(sa.delete(_achievements).where(seeded))
