"""Rewards and administrators: level roles stacked or replacing, achievement roles, and XP given,
taken and reset with an audit row and log line; on SQLite and real PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from gamification_helpers import ADA, BOB, GUILD, GamificationFactory
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models import User
from botfleet.database.models.gamification import MemberXP, XPAuditEntry
from botfleet.gamification import LevelRole, RoleChanges, RoleRewardMode, XPAdjustmentError
from botfleet.gamification.achievements import UnknownAchievementError
from botfleet.gamification.rewards import (
    MemberStanding,
    RewardConfigError,
    plan_level_roles,
    plan_member_roles,
)

BRONZE, SILVER, GOLD, GOLD_BADGE, MEMBER = 501, 502, 503, 504, 900
REWARDS = [
    LevelRole(5, BRONZE),
    LevelRole(10, SILVER),
    LevelRole(20, GOLD),
    LevelRole(20, GOLD_BADGE),
]


def test_stacked_rewards_keep_everything_earned() -> None:
    assert plan_level_roles(REWARDS, RoleRewardMode.STACK, 12, [MEMBER]) == RoleChanges(
        add=frozenset({BRONZE, SILVER})
    )
    assert plan_level_roles(REWARDS, RoleRewardMode.STACK, 4, [MEMBER, BRONZE]) == RoleChanges(
        remove=frozenset({BRONZE})
    )
    assert not plan_level_roles(REWARDS, RoleRewardMode.STACK, 10, [BRONZE, SILVER])


def test_replacing_rewards_keep_only_the_highest_tier() -> None:
    assert plan_level_roles(
        REWARDS, RoleRewardMode.REPLACE, 25, [MEMBER, BRONZE, SILVER]
    ) == RoleChanges(add=frozenset({GOLD, GOLD_BADGE}), remove=frozenset({BRONZE, SILVER}))
    assert plan_level_roles(REWARDS, RoleRewardMode.REPLACE, 1, [SILVER]) == RoleChanges(
        remove=frozenset({SILVER})
    )


@given(
    mode=st.sampled_from(list(RoleRewardMode)),
    level=st.integers(1, 30),
    held=st.sets(st.sampled_from([BRONZE, SILVER, GOLD, GOLD_BADGE, MEMBER, 901])),
)
def test_applying_the_plan_leaves_exactly_the_earned_rewards(
    mode: RoleRewardMode, level: int, held: set[int]
) -> None:
    changes = plan_level_roles(REWARDS, mode, level, held)
    after = (held | changes.add) - changes.remove

    earned = [reward for reward in REWARDS if reward.level <= level]
    if mode is RoleRewardMode.REPLACE and earned:
        earned = [reward for reward in earned if reward.level == max(r.level for r in earned)]
    assert after & {reward.role_id for reward in REWARDS} == {reward.role_id for reward in earned}
    assert after - {reward.role_id for reward in REWARDS} == held - {
        reward.role_id for reward in REWARDS
    }
    assert not changes.add & held
    assert changes.remove <= held


async def test_level_and_achievement_roles_are_configured_per_guild(
    database: Database, make_gamification: GamificationFactory
) -> None:
    rewards = make_gamification(database).rewards

    await rewards.set_level_role(GUILD, 10, SILVER)
    await rewards.set_level_role(GUILD, 5, BRONZE)
    assert await rewards.set_level_role(GUILD, 15, SILVER) == [
        LevelRole(5, BRONZE),
        LevelRole(15, SILVER),
    ]
    assert await rewards.remove_level_role(GUILD, BRONZE)
    assert not await rewards.remove_level_role(GUILD, BRONZE)
    assert plan_member_roles(
        await rewards.table(GUILD), RoleRewardMode.STACK, MemberStanding(16), [BRONZE]
    ) == RoleChanges(add=frozenset({SILVER}))
    with pytest.raises(RewardConfigError, match="Reward levels go from 2 to 1000"):
        await rewards.set_level_role(GUILD, 1, GOLD)

    achievement_id = await rewards.set_achievement_role(GUILD, "pangram hunter", GOLD_BADGE)
    assert await rewards.achievement_roles(GUILD) == {achievement_id: GOLD_BADGE}
    table = await rewards.table(GUILD)
    unlocked = MemberStanding(unlocked=frozenset({achievement_id}))
    assert plan_member_roles(table, RoleRewardMode.STACK, unlocked, [MEMBER]) == RoleChanges(
        add=frozenset({GOLD_BADGE})
    )
    assert not plan_member_roles(table, RoleRewardMode.STACK, MemberStanding(), [MEMBER])
    assert await rewards.remove_achievement_role(GUILD, "Pangram Hunter")
    with pytest.raises(UnknownAchievementError):
        await rewards.set_achievement_role(GUILD, "Nope", GOLD)


async def test_a_guild_has_at_most_fifty_level_roles(
    database: Database, make_gamification: GamificationFactory
) -> None:
    rewards = make_gamification(database).rewards
    for role in range(50):
        await rewards.set_level_role(GUILD, 2 + role, 10_000 + role)

    with pytest.raises(RewardConfigError, match="at most 50 level role rewards"):
        await rewards.set_level_role(GUILD, 60, 99_999)
    assert len(await rewards.set_level_role(GUILD, 70, 10_000)) == 50  # moving one is fine


async def test_admins_give_take_and_reset_with_an_audit_trail(
    database: Database, make_gamification: GamificationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    gamification = make_gamification(database)
    await gamification.rewards.set_level_role(GUILD, 2, BRONZE)
    await gamification.xp.award_xp(ADA, 40, "earned", guild_id=GUILD)  # still buffered

    with caplog.at_level(logging.INFO, logger="botfleet.gamification.audit"):
        given_xp = await gamification.xp.give_xp(GUILD, ADA, 100, actor_id=BOB, reason="event")
        taken = await gamification.xp.take_xp(GUILD, ADA, 500, actor_id=BOB)
        await gamification.xp.give_xp(GUILD, ADA, 300, actor_id=BOB)
        reset = await gamification.xp.reset_xp(GUILD, ADA, actor_id=BOB, reason="fresh start")

    assert (given_xp.xp_before, given_xp.xp_after, given_xp.level_after) == (40, 140, 2)
    assert (taken.xp_before, taken.xp_after, taken.level_after) == (140, 0, 1)
    assert (reset.xp_before, reset.level_before, reset.xp_after, reset.level_after) == (
        300,
        3,
        0,
        1,
    )
    assert plan_member_roles(
        await gamification.rewards.table(GUILD),
        RoleRewardMode.STACK,
        MemberStanding(reset.level_after),
        [BRONZE],
    ) == RoleChanges(remove=frozenset({BRONZE}))
    async with database.session() as session:
        member = await session.get(MemberXP, (GUILD, ADA))
        user = await session.get(User, ADA)
        audit = (await session.scalars(select(XPAuditEntry).order_by(XPAuditEntry.id))).all()
    assert member is not None
    assert (member.xp, member.level) == (0, 1)
    assert user is not None
    assert user.total_xp == 40  # fleet-wide XP is what the member earned, not what admins set
    assert [
        (row.action, row.amount, row.xp_before, row.xp_after, row.actor_id) for row in audit
    ] == [
        ("give", 100, 40, 140, BOB),
        ("take", 500, 140, 0, BOB),
        ("give", 300, 0, 300, BOB),
        ("reset", 0, 300, 0, BOB),
    ]
    assert audit[-1].reason == "fresh start"
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 4
    assert f"XP give by {BOB} in guild {GUILD}: member {ADA}, amount 100, XP 40 -> 140" in lines[0]
    page = await gamification.leaderboards.page("xp", "all_time", guild_id=GUILD)
    assert page.entries == ()


async def test_admin_amounts_are_checked_with_a_friendly_message(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)

    for amount in (0, -3, 1_000_001):
        with pytest.raises(XPAdjustmentError, match="between 1 and 1,000,000 XP"):
            await gamification.xp.give_xp(GUILD, ADA, amount, actor_id=BOB)
