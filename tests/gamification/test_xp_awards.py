"""XP sources and the write-behind path, on SQLite and real PostgreSQL: messages with their
cooldown, commands, game results, guild rules, premium boosts, level-ups, saving and retries."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from gamification_helpers import (
    ADA,
    BOB,
    CHANNEL,
    GUILD,
    OTHER_GUILD,
    GamificationFactory,
    Recorder,
    eventually,
)
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models import LeaderboardEntry, User, UserBotStats
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification import (
    LEVEL_UP_EVENT,
    AnnouncementMode,
    CategoryWin,
    Feat,
    GameEnding,
    GameResult,
    Gamification,
    GamificationOptions,
    GamificationSettingsError,
    LevelUp,
    PointsEarned,
    XPSource,
    announcement_for,
)
from botfleet.gamification.guild_settings import merge
from botfleet.gamification.periods import ALL_TIME_START
from botfleet.services.premium import PremiumService, Subject

FIXED = GamificationOptions(message_xp_min=20, message_xp_max=20, flush_interval=0.05)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NO_MEMBER = (0, 1)


class Feats(Feat):
    PANGRAM = "pangram"
    BONUS_ROUND = "bonus_round"


async def member_xp(database: Database, guild_id: int, user_id: int) -> tuple[int, int]:
    async with database.session() as session:
        row = await session.get(MemberXP, (guild_id, user_id))
        return NO_MEMBER if row is None else (row.xp, row.level)


async def user_xp(database: Database, user_id: int) -> tuple[int, int]:
    async with database.session() as session:
        row = await session.get(User, user_id)
        return NO_MEMBER if row is None else (row.total_xp, row.level)


async def all_time(database: Database, category: str, user_id: int, guild_id: int | None) -> int:
    scope = (
        LeaderboardEntry.guild_id.is_(None)
        if guild_id is None
        else LeaderboardEntry.guild_id == guild_id
    )
    async with database.session() as session:
        value = await session.scalar(
            select(LeaderboardEntry.value).where(
                scope,
                LeaderboardEntry.user_id == user_id,
                LeaderboardEntry.category == category,
                LeaderboardEntry.period == "all_time",
                LeaderboardEntry.period_start == ALL_TIME_START,
            )
        )
    return int(value or 0)


async def test_chat_messages_earn_xp_once_per_cooldown(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, options=FIXED)
    offsets = [0, 30, 59, 60, 61, 200]

    awarded = [
        await gamification.xp.award_message(
            ADA, GUILD, CHANNEL, sent_at=T0 + timedelta(seconds=offset), username="ada"
        )
        for offset in offsets
    ]
    await gamification.xp.flush()

    assert [award is not None for award in awarded] == [True, False, False, True, False, True]
    assert await member_xp(database, GUILD, ADA) == (60, 1)
    assert await user_xp(database, ADA) == (60, 1)
    assert await all_time(database, "messages", ADA, GUILD) == 3
    assert await all_time(database, "xp", ADA, None) == 60
    async with database.session() as session:
        user = await session.get(User, ADA)
    assert user is not None
    assert user.username == "ada"


async def test_message_xp_is_random_within_the_guild_range(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await gamification.settings.update(GUILD, message_xp=(15, 25), message_cooldown_seconds=1)

    amounts = {
        award.amount
        for second in range(300)
        if (
            award := await gamification.xp.award_message(
                ADA, GUILD, CHANNEL, sent_at=T0 + timedelta(seconds=second)
            )
        )
        is not None
    }

    assert amounts <= set(range(15, 26))
    assert len(amounts) > 5


async def test_guild_rules_no_xp_channels_roles_and_switch(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, options=FIXED)
    quiet_channel, muted_role = 444, 555
    await gamification.settings.set_no_xp_channel(GUILD, quiet_channel, True)
    await gamification.settings.set_no_xp_role(GUILD, muted_role, True)

    assert await gamification.xp.award_message(ADA, GUILD, quiet_channel, sent_at=T0) is None
    assert (
        await gamification.xp.award_message(ADA, GUILD, CHANNEL, [muted_role], sent_at=T0) is None
    )
    assert (
        await gamification.xp.award_xp(ADA, 5, "bonus", guild_id=GUILD, channel_id=quiet_channel)
        is None
    )
    assert (
        await gamification.xp.award_command(ADA, "ping", guild_id=GUILD, role_ids=[muted_role])
        is None
    )
    assert await gamification.xp.award_message(BOB, GUILD, CHANNEL, [1, 2], sent_at=T0) is not None

    await gamification.settings.update(GUILD, enabled=False)
    assert await gamification.xp.award_command(BOB, "ping", guild_id=GUILD) is None
    await gamification.settings.set_no_xp_channel(GUILD, quiet_channel, False)
    await gamification.settings.update(GUILD, enabled=True)
    assert await gamification.xp.award_xp(ADA, 5, "bonus", guild_id=GUILD, channel_id=quiet_channel)

    await gamification.xp.flush()
    assert await member_xp(database, GUILD, ADA) == (5, 1)
    assert await member_xp(database, GUILD, BOB) == (20, 1)


async def test_commands_earn_the_architectures_five_xp_or_the_guilds_rate(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, bot_name="grammar")
    await gamification.settings.update(OTHER_GUILD, command_xp=12)

    await gamification.xp.award_command(ADA, "check")
    await gamification.xp.award_command(ADA, "check", guild_id=GUILD, channel_id=CHANNEL)
    await gamification.xp.award_command(ADA, "define", guild_id=OTHER_GUILD)
    await gamification.xp.flush()

    assert await user_xp(database, ADA) == (22, 1)
    assert await member_xp(database, GUILD, ADA) == (5, 1)
    assert await member_xp(database, OTHER_GUILD, ADA) == (12, 1)
    assert await all_time(database, "commands", ADA, None) == 3
    assert await all_time(database, "commands", ADA, OTHER_GUILD) == 1
    async with database.session() as session:
        stats = await session.get(UserBotStats, (ADA, "grammar"))
    assert stats is not None
    assert stats.command_count == 3
    assert stats.last_active is not None


async def test_game_results_earn_xp_and_count_on_the_game_boards(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, bot_name="spelling_bee")
    await gamification.settings.update(GUILD, game_xp={"win": 40})

    await gamification.xp.report_game(
        [GameResult(ADA, GameEnding.WIN, streak=3), GameResult(ADA, Feats.PANGRAM)],
        guild_id=GUILD,
        save_now=False,
    )
    await gamification.xp.report_game([GameResult(ADA, GameEnding.LOSS)], save_now=False)
    await gamification.xp.report_game(
        [GameResult(ADA, Feats.BONUS_ROUND)], guild_id=GUILD, save_now=False
    )
    await gamification.xp.flush()

    # 40 (the guild's win) + 50 (pangram) + 5 (loss, no guild) + 0 (an outcome worth nothing),
    # then +50 for unlocking "First Victory" and +150 for "Pangram Hunter".
    assert await member_xp(database, GUILD, ADA) == (90, 1)
    assert await user_xp(database, ADA) == (295, 3)
    assert await all_time(database, "games", ADA, None) == 2
    assert await all_time(database, "wins", ADA, GUILD) == 1
    assert await all_time(database, "spelling_bee:pangram", ADA, GUILD) == 1
    assert await all_time(database, "spelling_bee:bonus_round", ADA, GUILD) == 1
    assert await all_time(database, "spelling_bee:loss", ADA, None) == 1


async def test_premium_boosts_apply_the_larger_of_member_and_guild(
    database: Database, make_gamification: GamificationFactory
) -> None:
    premium = PremiumService(database)
    until = datetime.now(UTC) + timedelta(days=30)
    await premium.override(Subject.user(ADA), actor="test", reason="t2", until=until, tier=2)
    await premium.override(Subject.guild(OTHER_GUILD), actor="test", reason="t1", until=until)
    gamification = make_gamification(database, options=FIXED)

    await gamification.xp.award_message(ADA, GUILD, CHANNEL, sent_at=T0)
    await gamification.xp.award_message(ADA, OTHER_GUILD, CHANNEL, sent_at=T0)
    await gamification.xp.award_message(BOB, OTHER_GUILD, CHANNEL, sent_at=T0)
    await gamification.xp.award_message(BOB, GUILD, CHANNEL, sent_at=T0)
    await gamification.xp.flush()

    assert await member_xp(database, GUILD, ADA) == (30, 1)  # tier 2: +50 %
    assert await member_xp(database, OTHER_GUILD, ADA) == (30, 1)  # not +25 % on top
    assert await member_xp(database, OTHER_GUILD, BOB) == (25, 1)  # premium guild: +25 %
    assert await member_xp(database, GUILD, BOB) == (20, 1)


async def test_level_ups_are_dispatched_once_and_check_level_up_hands_them_to_the_caller(
    database: Database, make_gamification: GamificationFactory
) -> None:
    recorder = Recorder()
    gamification = make_gamification(database, options=FIXED, dispatch=recorder)

    await gamification.xp.award_xp(ADA, 99, "warm-up", guild_id=GUILD, channel_id=CHANNEL)
    await gamification.xp.flush()
    await gamification.xp.award_xp(ADA, 1, "one more", guild_id=GUILD, channel_id=CHANNEL)
    await gamification.xp.flush()
    await gamification.xp.flush()

    assert recorder.named(LEVEL_UP_EVENT) == [
        LevelUp(ADA, GUILD, 1, 2, 100, CHANNEL, "hangman", XPSource.CUSTOM),
        LevelUp(ADA, None, 1, 2, 100, CHANNEL, "hangman", XPSource.CUSTOM),
    ]

    recorder.events.clear()
    await gamification.xp.award_xp(BOB, 300, "architecture", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 300, "elsewhere", guild_id=OTHER_GUILD)
    level_ups = await gamification.check_level_up(BOB, guild_id=GUILD)

    assert [(event.guild_id, event.old_level, event.new_level) for event in level_ups] == [
        (GUILD, 1, 3)
    ]
    assert sorted(
        (str(event.guild_id), event.new_level) for event in recorder.named(LEVEL_UP_EVENT)
    ) == [(str(OTHER_GUILD), 3), ("None", 4)]
    assert await gamification.check_level_up(BOB) == []

    await gamification.xp.award_xp(BOB, 1000, "everything", guild_id=GUILD)
    assert {event.guild_id for event in await gamification.check_level_up(BOB)} == {GUILD, None}


async def test_report_game_saves_at_once_and_hands_the_games_level_ups_to_the_caller(
    database: Database, make_gamification: GamificationFactory
) -> None:
    recorder = Recorder()
    gamification = make_gamification(database, options=FIXED, dispatch=recorder)
    await gamification.xp.award_xp(ADA, 1, "chat before the game", guild_id=GUILD)

    level_ups = await gamification.xp.report_game(
        [
            PointsEarned(ADA, 74, "spelling_bee:word"),
            GameResult(ADA, GameEnding.WIN, streak=1),
            GameResult(BOB, GameEnding.LOSS, streak=0),
        ],
        guild_id=GUILD,
        channel_id=CHANNEL,
    )

    # Saved before the call returns, with the XP Ada had waiting: 1 + 74 + 25 (the win).
    assert gamification.xp.pending_awards == 0
    assert await member_xp(database, GUILD, ADA) == (100, 2)
    assert await member_xp(database, GUILD, BOB) == (5, 1)
    assert await all_time(database, "wins", ADA, GUILD) == 1
    assert await all_time(database, "games", BOB, GUILD) == 1
    assert [(event.user_id, event.guild_id, event.new_level) for event in level_ups] == [
        (ADA, GUILD, 2)
    ]
    # The guild's level-up is the caller's to announce; the fleet-wide one goes to listeners.
    assert [event.guild_id for event in recorder.named(LEVEL_UP_EVENT)] == [None]


async def test_report_game_keeps_the_results_while_the_database_fails(
    database_url: str, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database_url, options=FIXED)  # no tables yet
    await gamification.xp.award_xp(ADA, 10, "quest")
    with pytest.raises(DBAPIError):
        await gamification.xp.flush()

    level_ups = await gamification.xp.report_game([GameResult(ADA, GameEnding.WIN)])

    assert level_ups == []
    assert gamification.xp.pending_awards == 2
    await upgrade(database_url)
    await gamification.xp.flush()
    database = Database(database_url)
    try:
        assert await user_xp(database, ADA) == (10 + 25 + 50, 1)  # and First Victory's 50
    finally:
        await database.dispose()


async def test_report_game_respects_the_guilds_no_xp_roles_per_player(
    database: Database, make_gamification: GamificationFactory
) -> None:
    quiet_role = 77
    gamification = make_gamification(database, options=FIXED)
    await gamification.settings.set_no_xp_role(GUILD, quiet_role, no_xp=True)

    await gamification.xp.report_game(
        [
            GameResult(ADA, GameEnding.WIN, role_ids=(quiet_role,)),
            GameResult(BOB, GameEnding.WIN, role_ids=(1,)),
            PointsEarned(ADA, 30, "spelling_bee:word", role_ids=(quiet_role,)),
        ],
        guild_id=GUILD,
    )

    assert await member_xp(database, GUILD, ADA) == NO_MEMBER
    assert await member_xp(database, GUILD, BOB) == (25, 1)


async def test_a_batch_is_applied_once_even_when_retried(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    award = await gamification.xp.award_xp(ADA, 40, "quest", guild_id=GUILD)
    assert award is not None

    first = await gamification.store.save("batch-1", [award])
    again = await gamification.store.save("batch-1", [award])

    assert (first.saved, first.already_saved) == (1, False)
    assert again.already_saved
    assert await member_xp(database, GUILD, ADA) == (40, 1)


async def test_awards_survive_a_failing_database_and_are_saved_once_it_works(
    database_url: str, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database_url, options=FIXED)  # no tables yet
    await gamification.xp.award_xp(ADA, 70, "quest")
    await gamification.xp.award_xp(BOB, 10, "quest")

    with pytest.raises(DBAPIError, match="achievements"):
        await gamification.xp.flush()
    assert gamification.xp.pending_awards == 2
    # Unreadable guild settings: no XP for the event, and no error on the hot path.
    assert await gamification.xp.award_message(ADA, GUILD, CHANNEL, sent_at=T0) is None
    await gamification.xp.award_xp(ADA, 30, "quest")

    await upgrade(database_url)
    reports = await gamification.xp.flush()

    assert sum(report.saved for report in reports) == 3
    assert gamification.xp.pending_awards == 0
    assert await gamification.xp.award_message(ADA, GUILD, CHANNEL, sent_at=T0) is not None
    database = Database(database_url)
    try:
        assert await user_xp(database, ADA) == (100, 2)
        assert await user_xp(database, BOB) == (10, 1)
    finally:
        await database.dispose()


async def test_the_background_task_saves_and_stop_saves_the_rest(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, options=FIXED)
    await gamification.start()

    await gamification.xp.award_xp(ADA, 10, "first")

    async def saved() -> bool:
        return gamification.xp.pending_awards == 0

    await eventually(saved)
    assert await user_xp(database, ADA) == (10, 1)

    slow = make_gamification(database, options=GamificationOptions(flush_interval=60))
    await slow.start()
    await slow.xp.award_xp(ADA, 15, "second")
    await slow.stop()

    assert await user_xp(database, ADA) == (25, 1)
    assert slow.xp.pending_awards == 0


async def test_stop_saves_at_once_whatever_the_interval(
    database: Database, make_gamification: GamificationFactory
) -> None:
    """A stopping bot gives each shutdown step ten seconds: a stop that waited for the next
    save (up to a minute) was cut short there, and the awards it would have saved were lost."""
    gamification = make_gamification(database, options=GamificationOptions(flush_interval=60))
    await gamification.start()
    await asyncio.sleep(0.01)  # the background task waits for its next save
    await gamification.xp.award_xp(ADA, 15, "last")

    async with asyncio.timeout(5):
        await gamification.stop()

    assert await user_xp(database, ADA) == (15, 1)


async def test_new_awards_are_refused_when_too_many_wait(
    database_url: str, make_gamification: GamificationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    gamification = make_gamification(
        database_url, options=GamificationOptions(max_pending_awards=2)
    )

    with caplog.at_level(logging.ERROR):
        results = [await gamification.xp.award_xp(ADA, 1, "spam") for _ in range(4)]

    assert [result is not None for result in results] == [True, True, False, False]
    assert sum("new awards are dropped" in record.message for record in caplog.records) == 1


@pytest.mark.parametrize("save_now", [True, False])
async def test_a_games_xp_is_kept_when_the_queue_is_full_and_the_database_fails(
    database_url: str,
    make_gamification: GamificationFactory,
    caplog: pytest.LogCaptureFixture,
    save_now: bool,
) -> None:
    gamification = make_gamification(  # no tables yet: every save fails
        database_url, options=GamificationOptions(max_pending_awards=2)
    )
    for _ in range(2):
        await gamification.xp.award_xp(ADA, 10, "quest")
    with pytest.raises(DBAPIError):
        await gamification.xp.flush()
    assert await gamification.xp.award_xp(ADA, 10, "refused chat") is None

    with caplog.at_level(logging.WARNING):
        level_ups = await gamification.xp.report_game(
            [GameResult(ADA, GameEnding.WIN), GameResult(BOB, GameEnding.LOSS)], save_now=save_now
        )

    assert level_ups == []
    assert gamification.xp.pending_awards == 4
    assert gamification.xp.awards_by_source[XPSource.GAME] == 2
    assert any("kept beyond the limit of 2" in record.message for record in caplog.records)
    await upgrade(database_url)
    await gamification.xp.flush()
    database = Database(database_url)
    try:
        assert await user_xp(database, ADA) == (20 + 25 + 50, 1)  # and First Victory's 50
        assert await user_xp(database, BOB) == (5, 1)
    finally:
        await database.dispose()


async def test_a_game_reported_to_the_buffer_when_it_is_full_is_saved_at_once(
    database: Database, make_gamification: GamificationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    gamification = make_gamification(
        database, options=GamificationOptions(max_pending_awards=2), dispatch=recorder
    )
    await gamification.xp.award_xp(ADA, 60, "chat", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 1, "chat", guild_id=GUILD)

    with caplog.at_level(logging.WARNING):
        level_ups = await gamification.xp.report_game(
            [GameResult(ADA, GameEnding.WIN)], guild_id=GUILD, save_now=False
        )

    # Ada's waiting XP went with the game's; Bob's still waits for the flusher.
    assert level_ups == []
    assert gamification.xp.pending_awards == 1
    assert await member_xp(database, GUILD, ADA) == (60 + 25, 1)
    assert any("saved before it goes on" in record.message for record in caplog.records)
    await gamification.xp.flush()
    assert await member_xp(database, GUILD, BOB) == (1, 1)


async def test_invalid_awards_are_programming_errors(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, bot_name="mod")
    with pytest.raises(ValueError, match="integer from 0"):
        await gamification.xp.award_xp(ADA, -5, "oops")
    with pytest.raises(ValueError, match="integer from 0"):
        await gamification.xp.award_xp(ADA, 10**9, "oops")
    with pytest.raises(ValueError, match="not an outcome name"):

        class Misspelt(Feat):
            BIG_WIN = "Big Win!"

    with pytest.raises(ValueError, match="not an outcome name"):
        CategoryWin("Big Win!")


async def test_guild_settings_are_validated_with_friendly_messages(
    database: Database, make_gamification: GamificationFactory
) -> None:
    settings = make_gamification(database).settings

    with pytest.raises(
        GamificationSettingsError, match=r"lowest message XP \(30\) cannot be above"
    ):
        await settings.update(GUILD, message_xp=(30, 20))
    with pytest.raises(GamificationSettingsError, match="between 1 second and 24 hours"):
        await settings.update(GUILD, message_cooldown_seconds=0)
    with pytest.raises(GamificationSettingsError, match="Pick the channel"):
        await settings.update(GUILD, announcement_mode=AnnouncementMode.CHOSEN_CHANNEL)
    with pytest.raises(GamificationSettingsError, match="not a game outcome"):
        await settings.update(GUILD, game_xp={"Win!": 5})

    changed = await settings.update(GUILD, message_xp=(1, 2), game_xp={"win": 3, "loss": None})
    assert (changed.message_xp_min, changed.game_xp_for("win"), changed.game_xp_for("loss")) == (
        1,
        3,
        5,
    )
    chosen = await settings.update(
        GUILD, announcement_mode=AnnouncementMode.CHOSEN_CHANNEL, announcement_channel_id=7
    )
    assert (chosen.announcement_mode, chosen.announcement_channel_id) == ("chosen_channel", 7)
    assert (await settings.get(GUILD)).announcement_channel_id == 7
    assert (await settings.reset(GUILD)).message_xp_min == 15


async def test_guild_settings_changes_reach_other_processes_through_redis(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    first = make_gamification(database, redis=redis_settings)
    second = make_gamification(database, redis=redis_settings)
    assert (await second.settings.get(GUILD)).command_xp == 5

    await first.settings.update(GUILD, command_xp=9)

    async def seen() -> bool:
        return (await second.settings.get(GUILD)).command_xp == 9

    await eventually(seen)


def test_announcements_follow_the_guilds_choice() -> None:
    level_up = LevelUp(ADA, GUILD, 1, 2, 100, CHANNEL, "hangman")
    options = GamificationOptions()

    def where(**overrides: object) -> object:
        return announcement_for(level_up, merge(GUILD, overrides, options))

    assert where() == announcement_for(level_up, merge(GUILD, {}, options))
    assert where(announcement_mode="channel").channel_id == CHANNEL  # type: ignore[attr-defined]
    assert where(announcement_mode="chosen_channel", announcement_channel_id=7).channel_id == 7  # type: ignore[attr-defined]
    assert where(announcement_mode="dm").channel_id is None  # type: ignore[attr-defined]
    assert where(announcement_mode="off") is None
    assert (
        announcement_for(LevelUp(ADA, None, 1, 2, 100, CHANNEL, None), merge(GUILD, {}, options))
        is None
    )


async def test_a_fleet_bot_gets_its_name_prefix_and_dispatch(
    database: Database, redis_settings: tuple[str, str]
) -> None:
    url, prefix = redis_settings
    recorder = Recorder()
    settings = Settings.model_validate({"cache": {"key_prefix": prefix}})
    cache = CacheHierarchy(
        MemoryCache(100), ResilientRedis.from_url(url, retry_interval=1), owns_redis=True
    )
    bot = SimpleNamespace(
        database=database, cache=cache, settings=settings, name="grammar", dispatch=recorder
    )
    gamification = Gamification.for_bot(bot, FIXED)
    try:
        await gamification.xp.award_xp(ADA, 100, "quest", guild_id=GUILD, channel_id=CHANNEL)
        level_ups = await gamification.check_level_up(ADA)
        cooldown_key = gamification.xp.cooldowns.lease_key(GUILD, CHANNEL)
    finally:
        await gamification.stop()
        await cache.close()

    assert {event.bot_name for event in level_ups} == {"grammar"}
    assert cooldown_key.startswith(prefix)
    assert gamification.options is FIXED


async def test_a_profile_has_level_progress_and_rank(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await gamification.xp.award_xp(ADA, 300, "quest", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 100, "quest", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 500, "quest")
    await gamification.xp.flush()

    in_guild = await gamification.xp.profile(BOB, GUILD)
    fleet_wide = await gamification.xp.profile(BOB)
    stranger = await gamification.xp.profile(12345, GUILD)

    assert (in_guild.progress.level, in_guild.progress.xp_into_level) == (2, 0)
    assert in_guild.rank is not None
    assert (in_guild.rank.rank, in_guild.rank.value) == (2, 100)
    assert (fleet_wide.progress.total_xp, fleet_wide.progress.level) == (600, 4)
    assert fleet_wide.rank is not None
    assert fleet_wide.rank.rank == 1
    assert (stranger.progress.total_xp, stranger.progress.level, stranger.rank) == (0, 1, None)


def test_fleet_options_are_checked() -> None:
    with pytest.raises(ValueError, match="message_xp_min cannot be larger"):
        GamificationOptions(message_xp_min=30, message_xp_max=20)
    with pytest.raises(ValueError, match="host_bot must be one of"):
        GamificationOptions(host_bot="chess")
    with pytest.raises(ValueError, match="premium_bonus_percent"):
        GamificationOptions(premium_bonus_percent={0: 10})
    assert GamificationOptions.model_validate({"curve": {"quadratic": 0}}).curve.xp_for_level(
        3
    ) == (200)
