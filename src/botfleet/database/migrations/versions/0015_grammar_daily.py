"""The Grammar Bot's daily tip and quiz: guilds' schedules, the posts, members' answers, and
the quiz achievements.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _Seed(NamedTuple):
    id: int
    name: str
    description: str
    rarity: str
    points: int
    metric: str
    target: int
    reward_xp: int


# Fixed ids from 1301. The metrics are the counters the Grammar Bot reports through the
# gamification framework: ``grammar:quiz_correct`` for a right answer to a daily question,
# ``grammar:quiz_week`` each time a member's daily quiz streak reaches seven days, and
# ``grammar:clean`` for a clean check.
ACHIEVEMENTS: tuple[_Seed, ...] = (
    _Seed(
        1301,
        "Quick Study",
        "Answer a daily grammar question correctly.",
        "common",
        5,
        "grammar:quiz_correct",
        1,
        25,
    ),
    _Seed(
        1302,
        "Grammar Buff",
        "Answer 25 daily grammar questions correctly.",
        "rare",
        25,
        "grammar:quiz_correct",
        25,
        150,
    ),
    _Seed(
        1303,
        "Week of Words",
        "Answer the daily grammar question seven days in a row.",
        "rare",
        25,
        "grammar:quiz_week",
        1,
        150,
    ),
    _Seed(
        1304,
        "Clean Copy",
        "Write 50 texts the Grammar Bot finds nothing to correct in.",
        "rare",
        20,
        "grammar:clean",
        50,
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


def upgrade() -> None:
    op.create_table(
        "grammar_daily_schedules",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("post_time", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("next_post_at", _timestamp(), nullable=False),
        sa.Column("timer_id", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_grammar_daily_schedules")),
    )
    op.create_table(
        "grammar_quiz_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tip_id", sa.Text(), nullable=False),
        sa.Column("question_id", sa.Text(), nullable=False),
        sa.Column("posted_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grammar_quiz_posts")),
        # One post per guild and local day, even when two processes claim at once.
        sa.UniqueConstraint("guild_id", "day", name="uq_grammar_quiz_posts_guild_id_day"),
        # Never reuse the id of a post: its answer buttons carry it in their custom_id.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "grammar_quiz_answers",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["grammar_quiz_posts.id"],
            name=op.f("fk_grammar_quiz_answers_post_id_grammar_quiz_posts"),
            ondelete="CASCADE",
        ),
        # One answer per member and question: the key refuses a second one, races included.
        sa.PrimaryKeyConstraint("post_id", "user_id", name=op.f("pk_grammar_quiz_answers")),
    )
    # A member's quiz record in a guild, and data-deletion requests.
    op.create_index(
        "ix_grammar_quiz_answers_user_id_guild_id",
        "grammar_quiz_answers",
        ["user_id", "guild_id"],
    )
    _seed_achievements()


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
                    "category": "grammar",
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
    seeded = sa.or_(
        *(
            sa.and_(_achievements.c.id == seed.id, _achievements.c.name == seed.name)
            for seed in ACHIEVEMENTS
        )
    )
    seeded_ids = sa.select(_achievements.c.id).where(seeded)
    # Foreign keys are off on SQLite during migrations: remove unlocks and rules explicitly.
    connection.execute(
        sa.delete(_user_achievements).where(_user_achievements.c.achievement_id.in_(seeded_ids))
    )
    connection.execute(sa.delete(_rules).where(_rules.c.achievement_id.in_(seeded_ids)))
    connection.execute(sa.delete(_achievements).where(seeded))
    op.drop_index("ix_grammar_quiz_answers_user_id_guild_id", table_name="grammar_quiz_answers")
    op.drop_table("grammar_quiz_answers")
    op.drop_table("grammar_quiz_posts")
    op.drop_table("grammar_daily_schedules")
