"""Reward plans for a whole member (level and achievement roles together) and the standings they
are computed from, read in bulk for a guild re-sync; on SQLite and real PostgreSQL."""

from __future__ import annotations

from gamification_helpers import ADA, BOB, GUILD, OTHER_GUILD, GamificationFactory

from botfleet.database import Database
from botfleet.gamification import LevelRole, RoleChanges, RoleRewardMode
from botfleet.gamification.rewards import MemberStanding, RewardTable, plan_member_roles

BRONZE, SILVER, BADGE, OTHER = 501, 502, 503, 900
LEGEND = 1004


def test_an_achievement_role_stays_even_when_it_is_also_an_unearned_level_reward() -> None:
    table = RewardTable(
        levels=(LevelRole(5, BRONZE), LevelRole(10, SILVER)),
        achievements={LEGEND: SILVER, 1001: BADGE},
    )
    standing = MemberStanding(level=6, unlocked=frozenset({LEGEND}))

    changes = plan_member_roles(table, RoleRewardMode.REPLACE, standing, [SILVER, OTHER])

    assert changes == RoleChanges(add=frozenset({BRONZE}))
    assert plan_member_roles(table, RoleRewardMode.STACK, MemberStanding(), [BRONZE]) == (
        RoleChanges(remove=frozenset({BRONZE}))
    )
    assert not plan_member_roles(RewardTable(), RoleRewardMode.STACK, standing, [BRONZE])


async def test_standings_read_levels_and_rewarded_unlocks_of_many_members(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    rewards = gamification.rewards
    await gamification.xp.give_xp(GUILD, ADA, 400, actor_id=BOB)  # level 3
    await gamification.xp.give_xp(OTHER_GUILD, BOB, 5000, actor_id=ADA)
    await gamification.achievements.grant(BOB, "Legend")
    await gamification.achievements.grant(ADA, "Veteran")
    await rewards.set_level_role(GUILD, 3, BRONZE)
    await rewards.set_achievement_role(GUILD, "legend", BADGE)
    table = await rewards.table(GUILD)

    standings = await rewards.standings(GUILD, [ADA, BOB, 42], table)

    assert table == RewardTable((LevelRole(3, BRONZE),), {LEGEND: BADGE})
    assert standings == {
        ADA: MemberStanding(3, frozenset()),  # Veteran gives no role here
        BOB: MemberStanding(1, frozenset({LEGEND})),  # his XP is in another guild
        42: MemberStanding(),
    }


async def test_a_deleted_role_loses_every_reward_it_was(
    database: Database, make_gamification: GamificationFactory
) -> None:
    rewards = make_gamification(database).rewards
    await rewards.set_level_role(GUILD, 5, SILVER)
    await rewards.set_level_role(GUILD, 2, BRONZE)
    await rewards.set_achievement_role(GUILD, "Legend", SILVER)
    await rewards.set_level_role(OTHER_GUILD, 5, SILVER)

    assert await rewards.forget_role(GUILD, SILVER) == 2
    assert await rewards.forget_role(GUILD, SILVER) == 0
    assert await rewards.table(GUILD) == RewardTable((LevelRole(2, BRONZE),), {})
    assert await rewards.level_roles(OTHER_GUILD) == [LevelRole(5, SILVER)]
