"""Hangman Bot: games in play, members' records, guild word lists, Hangman achievements.

Revision ID: 0004
Revises: 0003
Create Date: 2025-12-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
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


# Fixed ids from 1101, next to the fleet's catalogue of 0003 (1001-1020). The metrics are the
# counters the bot reports through the gamification framework: ``hangman:flawless`` for a win
# without a miss, ``hangman:win_<category>`` for a win in a bundled category, and the gauge
# ``hangman:streak`` for the current win streak.
ACHIEVEMENTS: tuple[_Seed, ...] = (
    _Seed(
        1101,
        "Flawless",
        "Win a game of Hangman without a single miss.",
        "rare",
        20,
        "hangman:flawless",
        1,
        100,
    ),
    _Seed(
        1102, "Hanging On", "Win 5 games of Hangman in a row.", "rare", 25, "hangman:streak", 5, 150
    ),
    _Seed(
        1103,
        "Unhangable",
        "Win 15 games of Hangman in a row.",
        "epic",
        50,
        "hangman:streak",
        15,
        500,
    ),
    _Seed(
        1104,
        "Zoologist",
        "Win 10 games of Hangman in the animals category.",
        "rare",
        20,
        "hangman:win_animals",
        10,
        150,
    ),
    _Seed(
        1105,
        "Gourmet",
        "Win 10 games of Hangman in the food category.",
        "rare",
        20,
        "hangman:win_food",
        10,
        150,
    ),
    _Seed(
        1106,
        "Botanist",
        "Win 10 games of Hangman in the plants category.",
        "rare",
        20,
        "hangman:win_plants",
        10,
        150,
    ),
    _Seed(
        1107,
        "Lab Coat",
        "Win 10 games of Hangman in the science category.",
        "rare",
        20,
        "hangman:win_science",
        10,
        150,
    ),
    _Seed(
        1108,
        "Gallows Master",
        "Win 100 games of Hangman.",
        "epic",
        50,
        "hangman:win",
        100,
        500,
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


def upgrade() -> None:
    op.create_table(
        "hangman_games",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("board_message_id", sa.BigInteger(), nullable=True),
        sa.Column("controls_message_id", sa.BigInteger(), nullable=True),
        sa.Column("starter_id", sa.BigInteger(), nullable=False),
        sa.Column("setter_id", sa.BigInteger(), nullable=True),
        sa.Column("player_id", sa.BigInteger(), nullable=True),
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("difficulty", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("guessed", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("wrong_words", _json(), nullable=False),
        sa.Column("hints", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("solved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("participants", _json(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("timer_key", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("last_move_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hangman_games")),
        # Never reuse the id of an ended game: old buttons carry it in their custom_id.
        sqlite_autoincrement=True,
    )
    # One game per channel, enforced by the database even when two starts race.
    op.create_index("uq_hangman_games_channel_id", "hangman_games", ["channel_id"], unique=True)
    op.create_table(
        "hangman_stats",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("played", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("won", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("current_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("best_streak", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("flawless", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("points", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_played_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_hangman_stats")),
    )
    op.create_index("ix_hangman_stats_ranking", "hangman_stats", ["guild_id", "points", "won"])
    op.create_table(
        "hangman_guild_words",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("list_name", sa.Text(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "list_name", "word", name=op.f("pk_hangman_guild_words")
        ),
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
                    "category": "hangman",
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
    op.drop_table("hangman_guild_words")
    op.drop_index("ix_hangman_stats_ranking", table_name="hangman_stats")
    op.drop_table("hangman_stats")
    op.drop_index("uq_hangman_games_channel_id", table_name="hangman_games")
    op.drop_table("hangman_games")
