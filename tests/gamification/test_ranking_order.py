"""Redis rankings stay ordered when bot processes publish out of order (real Redis, SQLite and
real PostgreSQL): an administrator's XP removal is never undone by an older save published
after it, and each member's ranking version rises once per transaction that changed them."""

from __future__ import annotations

from datetime import UTC, datetime

from gamification_helpers import ADA, BOB, GUILD, GamificationFactory
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models.gamification import RankingVersion
from botfleet.gamification import Board, RankedEntry
from botfleet.gamification.events import RankingUpdate, XPAward, XPSource


def quest(user_id: int, amount: int) -> XPAward:
    return XPAward(
        user_id=user_id,
        amount=amount,
        reason="quest",
        source=XPSource.CUSTOM,
        occurred_at=datetime.now(UTC),
        guild_id=GUILD,
    )


async def version_of(database: Database, user_id: int) -> int | None:
    async with database.session() as session:
        return await session.scalar(
            select(RankingVersion.version).where(RankingVersion.user_id == user_id)
        )


async def test_an_award_published_after_an_xp_removal_does_not_restore_the_xp(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    awarding = make_gamification(database, bot_name="hangman", redis=redis_settings)
    admin = make_gamification(database, bot_name="utility", redis=redis_settings)
    assert awarding.rankings is not None and admin.rankings is not None
    board = Board.current("xp", "all_time", GUILD)
    await admin.rankings.hydrate(board)

    # The hangman process commits an award but is slow to publish it...
    report = await awarding.store.save(awarding.store.new_batch_id(), [quest(ADA, 300)])
    # ...while the utility process's administrator takes most of it away, and publishes first.
    await admin.xp.take_xp(GUILD, ADA, 250, actor_id=BOB)
    await awarding.rankings.publish(report.rankings)

    in_database = await admin.leaderboards.database_rankings.rank(board, ADA)
    assert in_database == RankedEntry(1, ADA, 50)
    assert await admin.rankings.rank(board, ADA) == in_database

    # Later awards still count: their version is newer than the removal.
    await awarding.xp.award_xp(ADA, 20, "quest", guild_id=GUILD)
    await awarding.xp.flush()
    assert await admin.rankings.rank(board, ADA) == RankedEntry(1, ADA, 70)
    assert await admin.rankings.rank(board, ADA) == await admin.leaderboards.database_rankings.rank(
        board, ADA
    )


async def test_a_reset_member_is_not_put_back_by_an_older_save(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    awarding = make_gamification(database, redis=redis_settings)
    admin = make_gamification(database, bot_name="utility", redis=redis_settings)
    assert awarding.rankings is not None and admin.rankings is not None
    board = Board.current("xp", "all_time", GUILD)
    weekly = Board.current("xp", "weekly", GUILD)
    for each in (board, weekly):
        await admin.rankings.hydrate(each)

    report = await awarding.store.save(awarding.store.new_batch_id(), [quest(BOB, 400)])
    await admin.xp.reset_xp(GUILD, BOB, actor_id=ADA)
    await awarding.rankings.publish(report.rankings)

    assert await admin.rankings.rank(board, BOB) is None
    assert await admin.rankings.rank(weekly, BOB) is None
    assert await admin.leaderboards.database_rankings.rank(board, BOB) is None


async def test_administrators_changes_apply_in_version_order_whatever_the_arrival_order(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    gamification = make_gamification(database, redis=redis_settings)
    rankings = gamification.rankings
    assert rankings is not None
    board = Board.current("xp", "all_time", GUILD)
    await rankings.hydrate(board)
    start = board.start.isoformat()

    def update(value: int, version: int) -> RankingUpdate:
        return RankingUpdate(GUILD, "xp", "all_time", start, ADA, value, version)

    await rankings.publish([update(900, 7)], exact=True)
    await rankings.publish([update(100, 6)], exact=True)  # an older change, arriving late
    await rankings.publish([update(950, 5)])  # an older save: refused
    assert await rankings.rank(board, ADA) == RankedEntry(1, ADA, 900)
    await rankings.publish([update(920, 8)])  # a newer save rises above the change
    await rankings.publish([update(910, 9)])  # saves never lower a score
    assert await rankings.rank(board, ADA) == RankedEntry(1, ADA, 920)
    await rankings.remove([board], ADA, 10)
    await rankings.publish([update(990, 9)])
    assert await rankings.rank(board, ADA) is None


async def test_a_rebuild_from_an_older_snapshot_does_not_undo_a_removal(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    gamification = make_gamification(database, redis=redis_settings)
    rankings = gamification.rankings
    assert rankings is not None
    board = Board.current("xp", "all_time", GUILD)
    await gamification.xp.award_xp(ADA, 500, "quest", guild_id=GUILD)
    await gamification.xp.flush()
    snapshot_version = await version_of(database, ADA)
    assert snapshot_version is not None
    # A rebuild that read the database before the removal writes what it read after it.
    removal = RankingUpdate(GUILD, "xp", "all_time", board.start.isoformat(), ADA, 100, 99)
    await rankings.publish([removal], exact=True)
    await rankings.hydrate(board)

    assert await rankings.rank(board, ADA) == RankedEntry(1, ADA, 100)


async def test_every_transaction_raises_the_members_version_once(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await gamification.xp.award_xp(ADA, 10, "quest", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 10, "quest", guild_id=GUILD)
    [first] = await gamification.xp.flush()
    await gamification.xp.award_xp(ADA, 10, "quest", guild_id=GUILD)
    [second] = await gamification.xp.flush()
    taken = await gamification.xp.take_xp(GUILD, ADA, 5, actor_id=BOB)

    assert {update.version for update in first.rankings} == {1}
    assert {update.version for update in second.rankings} == {2}
    assert taken.version == 3
    assert [update.version for update in taken.rankings] == [3]
    assert (await version_of(database, ADA), await version_of(database, BOB)) == (3, 1)
