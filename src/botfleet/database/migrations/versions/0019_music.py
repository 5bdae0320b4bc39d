"""Music Bot: server settings, players to restore, saved playlists, the listening history,
and the Music achievements.

Revision ID: 0019
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
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


# Fixed ids from 1901. The metrics are the counters the Music Bot reports: the seconds of
# music a member heard (``music:seconds_listened``) and the tracks they queued.
ACHIEVEMENTS: tuple[_Seed, ...] = (
    _Seed(1901, "First Spin", "Queue your first track.", "common", 5, "music:tracks_queued", 1, 10),
    _Seed(1902, "Crate Digger", "Queue 250 tracks.", "rare", 25, "music:tracks_queued", 250, 200),
    _Seed(
        1903,
        "Night Owl",
        "Listen to 10 hours of music with the Music Bot.",
        "rare",
        25,
        "music:seconds_listened",
        36_000,
        200,
    ),
    _Seed(
        1904,
        "Marathon Ears",
        "Listen to 100 hours of music with the Music Bot.",
        "epic",
        50,
        "music:seconds_listened",
        360_000,
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
        "music_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("dj_role_id", sa.BigInteger(), nullable=True),
        sa.Column("always_on", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("autoplay", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("volume", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("effect", sa.Text(), server_default=sa.text("'none'"), nullable=False),
        sa.Column("loop", sa.Text(), server_default=sa.text("'off'"), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_music_settings")),
    )
    op.create_table(
        "music_players",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("voice_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("text_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("controller_message_id", sa.BigInteger(), nullable=True),
        sa.Column("current", _json(), nullable=True),
        sa.Column("upcoming", _json(), nullable=False),
        sa.Column("history", _json(), nullable=False),
        sa.Column("position", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_music_players")),
    )
    op.create_table(
        "music_playlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("tracks", _json(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_music_playlists")),
    )
    op.create_index(
        "uq_music_playlists_scope_name",
        "music_playlists",
        ["guild_id", "owner_id", "name_key"],
        unique=True,
    )
    op.create_table(
        "music_listens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("track", _json(), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("listeners", sa.Integer(), nullable=False),
        sa.Column("played_at", _timestamp(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_music_listens")),
    )
    op.create_index(
        "ix_music_listens_guild_id_played_at", "music_listens", ["guild_id", "played_at"]
    )
    op.bulk_insert(
        _achievements,
        [
            {
                "id": seed.id,
                "name": seed.name,
                "description": seed.description,
                "category": "music",
                "rarity": seed.rarity,
                "points": seed.points,
            }
            for seed in ACHIEVEMENTS
        ],
    )
    op.bulk_insert(
        _rules,
        [
            {
                "achievement_id": seed.id,
                "metric": seed.metric,
                "target": seed.target,
                "reward_xp": seed.reward_xp,
            }
            for seed in ACHIEVEMENTS
        ],
    )


def downgrade() -> None:
    seeded_ids = [seed.id for seed in ACHIEVEMENTS]
    connection = op.get_bind()
    # Foreign keys are off on SQLite during migrations: remove unlocks and rules explicitly.
    connection.execute(
        sa.delete(_user_achievements).where(_user_achievements.c.achievement_id.in_(seeded_ids))
    )
    connection.execute(sa.delete(_rules).where(_rules.c.achievement_id.in_(seeded_ids)))
    connection.execute(sa.delete(_achievements).where(_achievements.c.id.in_(seeded_ids)))
    op.drop_index("ix_music_listens_guild_id_played_at", table_name="music_listens")
    op.drop_table("music_listens")
    op.drop_index("uq_music_playlists_scope_name", table_name="music_playlists")
    op.drop_table("music_playlists")
    op.drop_table("music_players")
    op.drop_table("music_settings")
