"""Data-deletion requests reach the gamification tables, buffers and Redis rankings."""

from __future__ import annotations

from gamification_helpers import ADA, BOB, GUILD, GamificationFactory
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models.gamification import MemberXP, XPAuditEntry
from botfleet.gamification import Board
from botfleet.services.privacy import registry


def test_the_gamification_deleters_are_registered_before_the_users_row() -> None:
    names = registry.names

    assert {"member_xp", "xp_audit_log"} <= set(names)
    assert names.index("xp_audit_log") < names.index("users")


async def test_deleting_a_member_removes_their_xp_and_anonymises_their_admin_actions(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await gamification.xp.award_xp(ADA, 50, "quest", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 70, "quest", guild_id=GUILD)
    await gamification.xp.flush()
    await gamification.xp.give_xp(GUILD, BOB, 10, actor_id=ADA)  # Ada, as an admin
    await gamification.xp.take_xp(GUILD, ADA, 5, actor_id=BOB)  # about Ada

    report = await registry.delete_user(database, ADA)

    assert report["member_xp"] == 1
    assert report["xp_audit_log"] == 2  # one deleted, one anonymised
    async with database.session() as session:
        members = (await session.scalars(select(MemberXP.user_id))).all()
        audit = (await session.execute(select(XPAuditEntry.user_id, XPAuditEntry.actor_id))).all()
    assert members == [BOB]
    assert [tuple(row) for row in audit] == [(BOB, None)]


async def test_forgetting_a_member_drops_their_unsaved_xp_and_redis_ranks(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    gamification = make_gamification(database, redis=redis_settings)
    rankings = gamification.rankings
    assert rankings is not None
    board = Board.current("xp", "all_time")
    await rankings.hydrate(board)
    await gamification.xp.award_xp(ADA, 50, "quest")
    await gamification.xp.flush()
    await gamification.xp.award_xp(ADA, 25, "unsaved")
    await gamification.xp.award_xp(BOB, 25, "unsaved")

    await gamification.forget_user(ADA)
    await gamification.xp.flush()

    assert gamification.xp.pending_awards == 0
    assert await rankings.rank(board, ADA) is None
    assert await rankings.rank(board, BOB) is not None
    assert (await gamification.xp.profile(ADA)).progress.total_xp == 50  # the database's to delete
