"""Tables of the gamification framework (migrations 0003 and 0013).

``users.total_xp``/``users.level`` hold each member's fleet-wide XP; :class:`MemberXP` holds their
XP and level in one guild, which is what level role rewards and a guild's ``/rank`` use. The
per-period counters live in the architecture's ``leaderboard_entries``; this module adds the
ranking index those boards are read through.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant
from botfleet.database.models.leaderboard import LeaderboardEntry


class GuildXPSettings(Base):
    """What a guild changed about XP; a NULL column follows the fleet's default."""

    __tablename__ = "guild_xp_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    message_xp_min: Mapped[int | None] = mapped_column(Integer)
    message_xp_max: Mapped[int | None] = mapped_column(Integer)
    message_cooldown_seconds: Mapped[int | None] = mapped_column(Integer)
    command_xp: Mapped[int | None] = mapped_column(Integer)
    game_xp: Mapped[dict[str, int] | None] = mapped_column(json_variant())
    """XP per game outcome this guild overrides (``{"win": 40}``)."""
    no_xp_channel_ids: Mapped[list[int] | None] = mapped_column(json_variant())
    no_xp_role_ids: Mapped[list[int] | None] = mapped_column(json_variant())
    announcement_mode: Mapped[str | None] = mapped_column(Text)
    announcement_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    role_reward_mode: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return f"GuildXPSettings(guild_id={self.guild_id!r})"


class MemberXP(Base):
    """One member's XP and level in one guild, and their shared message-XP cooldown there."""

    __tablename__ = "member_xp"
    __table_args__ = (Index("ix_member_xp_user_id", "user_id"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    xp: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    level: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    last_message_xp_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the last message that earned XP here was sent."""
    message_xp_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The earliest time another message may earn XP here (the cooldown's end)."""

    def __repr__(self) -> str:
        return (
            f"MemberXP(guild_id={self.guild_id!r}, user_id={self.user_id!r}, xp={self.xp!r}, "
            f"level={self.level!r})"
        )


class LevelRoleReward(Base):
    """A role a guild grants at a level; each role is granted at one level."""

    __tablename__ = "level_role_rewards"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return (
            f"LevelRoleReward(guild_id={self.guild_id!r}, role_id={self.role_id!r}, "
            f"level={self.level!r})"
        )


class AchievementRule(Base):
    """How an achievement is earned: ``metric`` reaching ``target``; unlocking grants XP.

    Metrics are leaderboard counters (``messages``, ``wins``, ``hangman:win``...), reported
    gauges (``streak``, ``spelling_bee:streak``), ``level`` or ``xp``. An achievement without a
    rule is only ever granted explicitly.
    """

    __tablename__ = "achievement_rules"
    __table_args__ = (Index("ix_achievement_rules_metric", "metric"),)

    achievement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(Text)
    target: Mapped[int] = mapped_column(Integer)
    reward_xp: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return (
            f"AchievementRule(achievement_id={self.achievement_id!r}, metric={self.metric!r}, "
            f"target={self.target!r})"
        )


class AchievementRoleReward(Base):
    """A role a guild grants to members who unlocked an achievement."""

    __tablename__ = "achievement_role_rewards"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    achievement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return (
            f"AchievementRoleReward(guild_id={self.guild_id!r}, "
            f"achievement_id={self.achievement_id!r}, role_id={self.role_id!r})"
        )


class XPAuditEntry(Base):
    """One administrator's change to a member's XP: who, what, before and after."""

    __tablename__ = "xp_audit_log"
    __table_args__ = (
        Index("ix_xp_audit_log_guild_id_created_at", "guild_id", "created_at"),
        Index("ix_xp_audit_log_user_id", "user_id"),
        Index("ix_xp_audit_log_actor_id", "actor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    """The administrator; None once they asked for their data to be deleted."""
    action: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(Integer)
    xp_before: Mapped[int] = mapped_column(Integer)
    xp_after: Mapped[int] = mapped_column(Integer)
    level_before: Mapped[int] = mapped_column(Integer)
    level_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"XPAuditEntry(id={self.id!r}, guild_id={self.guild_id!r}, user_id={self.user_id!r}, "
            f"action={self.action!r}, amount={self.amount!r})"
        )


class RankingVersion(Base):
    """A counter per member, raised by every transaction that changes their leaderboard values.

    Transactions touching a member run one after the other (they lock the ``users`` row first),
    so the counter orders them; the Redis rankings use it to refuse a value older than the one
    they hold (migration 0013).
    """

    __tablename__ = "xp_ranking_versions"

    user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return f"RankingVersion(user_id={self.user_id!r}, version={self.version!r})"


class RankBucket(Base):
    """Changes to how many ranked members (value above 0) a board has in one value bucket.

    Triggers on ``leaderboard_entries`` (migration 0023) add a row of +1 or -1 whenever an
    entry enters, leaves or changes bucket, in the transaction that changed it; a board's count
    in a bucket is the sum of its rows, which
    :func:`botfleet.gamification.rank_buckets.fold_rank_buckets` folds into one now and then.
    ``scope`` is the guild id, or 0 for the fleet-wide boards.
    """

    __tablename__ = "leaderboard_rank_buckets"
    __table_args__ = (
        Index(
            "ix_leaderboard_rank_buckets_board",
            "scope",
            "category",
            "period",
            "period_start",
            "bucket",
            "members",
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    scope: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)
    bucket: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"RankBucket(scope={self.scope!r}, bucket={self.bucket!r}, members={self.members!r})"


class XPFlushBatch(Base):
    """A batch of buffered awards that was saved: retrying it after a lost commit is a no-op."""

    __tablename__ = "xp_flush_batches"
    __table_args__ = (Index("ix_xp_flush_batches_applied_at", "applied_at"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return f"XPFlushBatch(id={self.id!r})"


LEADERBOARD_RANKING_INDEX: Final = Index(
    "ix_leaderboard_entries_ranking",
    LeaderboardEntry.guild_id,
    LeaderboardEntry.category,
    LeaderboardEntry.period,
    LeaderboardEntry.period_start,
    LeaderboardEntry.value,
    LeaderboardEntry.user_id,
)
"""Serves "top N" and "one member's rank" of a board straight from the index; declared here,
with the rest of migration 0003, on the architecture's leaderboard table."""
