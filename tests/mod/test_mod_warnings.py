"""Warnings: points that expire on an injected clock, escalation, presets, expiry timers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from mod_helpers import ALICE, BOB, GUILD, MODERATOR, OTHER_MODERATOR, Clock
from pydantic import ValidationError
from sqlalchemy import select

from botfleet.bots.mod.config import ModOptions
from botfleet.bots.mod.services.limits import CaseAction, ReasonTooLongError
from botfleet.bots.mod.services.warnings import (
    WARNING_EXPIRY_EVENT,
    Preset,
    Threshold,
    WarningService,
    WarningSettings,
    escalation,
)
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.errors import UserError
from botfleet.services.scheduler import Scheduler

LADDER = (
    Threshold(points=3, action=CaseAction.TIMEOUT, duration_seconds=3600),
    Threshold(points=5, action=CaseAction.KICK),
    Threshold(points=8, action=CaseAction.TEMPBAN, duration_seconds=7 * 86400),
    Threshold(points=10, action=CaseAction.BAN),
)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0, 1, None),
        (0, 3, 3),
        (2, 4, 3),
        (3, 4, None),
        (4, 9, 8),
        (0, 12, 10),
        (10, 11, None),
    ],
)
def test_escalation_is_the_highest_threshold_crossed(
    before: int, after: int, expected: int | None
) -> None:
    crossed = escalation(LADDER, before, after)
    assert (crossed.points if crossed else None) == expected


def test_settings_refuse_thresholds_that_discord_or_sense_refuse() -> None:
    with pytest.raises(ValidationError, match="needs a duration"):
        Threshold(points=3, action=CaseAction.TEMPBAN)
    with pytest.raises(ValidationError, match="takes no duration"):
        Threshold(points=3, action=CaseAction.KICK, duration_seconds=60)
    with pytest.raises(ValidationError, match="28 days"):
        Threshold(points=3, action=CaseAction.TIMEOUT, duration_seconds=29 * 86400)
    with pytest.raises(ValidationError, match="times out, kicks"):
        Threshold(points=3, action=CaseAction.UNBAN)
    with pytest.raises(ValidationError, match="same number of points"):
        WarningSettings(thresholds=(LADDER[1], LADDER[1]))


def test_presets_are_found_by_name_or_listed() -> None:
    settings = WarningSettings(presets={"spam": Preset(reason="Spamming", points=2)})
    assert settings.preset(" Spam ").points == 2
    with pytest.raises(UserError, match="Presets: spam"):
        settings.preset("nsfw")
    with pytest.raises(UserError, match="no preset warnings"):
        WarningSettings().preset("spam")


async def test_points_expire_while_the_record_stays(database: Database, clock: Clock) -> None:
    service = WarningService(database, clock=clock)
    await service.save_settings(GUILD, WarningSettings(thresholds=LADDER, expire_after_days=7))

    first = await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam", points=2)
    clock.advance(days=4)
    second = await service.warn(
        GUILD, ALICE, "alice", OTHER_MODERATOR, reason="more spam", points=2
    )

    assert (first.points_before, first.points_after, first.escalation) == (0, 2, None)
    assert (second.points_before, second.points_after) == (2, 4)
    assert second.escalation == LADDER[0]
    assert (first.case.number, second.case.number) == (1, 2)
    assert second.case.action is CaseAction.WARN

    clock.advance(days=3)  # the first warning is exactly 7 days old: no longer counts
    standing = await service.standing(GUILD, ALICE)
    assert standing.active_points == 2
    assert [warning.reason for warning in standing.active] == ["more spam"]
    assert [warning.reason for warning in standing.warnings] == ["more spam", "spam"]

    third = await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam again", points=1)
    assert (third.points_before, third.points_after, third.escalation) == (2, 3, LADDER[0])

    clock.advance(days=30)
    assert (await service.standing(GUILD, ALICE)).active_points == 0
    assert len((await service.standing(GUILD, ALICE)).warnings) == 3


async def test_points_that_never_expire(database: Database, clock: Clock) -> None:
    service = WarningService(database, clock=clock)
    await service.save_settings(GUILD, WarningSettings(expire_after_days=None))

    await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam", points=4)
    clock.advance(days=3650)

    assert (await service.standing(GUILD, ALICE)).active_points == 4
    assert (await service.standing(GUILD, BOB)).warnings == ()


async def test_two_moderators_warning_at_once_escalate_once(
    database: Database, migrated_url: str, clock: Clock
) -> None:
    await WarningService(database, clock=clock).save_settings(
        GUILD, WarningSettings(thresholds=LADDER)
    )
    second = Database(migrated_url)
    try:
        outcomes = await asyncio.gather(
            WarningService(database, clock=clock).warn(
                GUILD, ALICE, "a", MODERATOR, reason="x", points=2
            ),
            WarningService(second, clock=clock).warn(
                GUILD, ALICE, "a", OTHER_MODERATOR, reason="y", points=2
            ),
        )
    finally:
        await second.dispose()

    assert sorted((outcome.points_before, outcome.points_after) for outcome in outcomes) == [
        (0, 2),
        (2, 4),
    ]
    assert [outcome.escalation for outcome in outcomes].count(LADDER[0]) == 1


async def test_bad_warnings_are_refused(database: Database, clock: Clock) -> None:
    service = WarningService(database, clock=clock)

    with pytest.raises(UserError, match="1 to 100 points"):
        await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam", points=0)
    with pytest.raises(UserError, match="needs a reason"):
        await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="  ", points=1)
    with pytest.raises(ReasonTooLongError):
        await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="x" * 513, points=1)
    assert (await service.standing(GUILD, ALICE)).warnings == ()


async def test_expiry_is_a_stored_timer_and_its_handler_checks_the_warning(
    database: Database, clock: Clock
) -> None:
    scheduler = Scheduler(database, lambda name, timer: None, bot_name="mod")
    service = WarningService(database, scheduler, clock=clock)

    outcome = await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam", points=1)

    async with database.session() as session:
        timer = (await session.scalars(select(Timer))).one()
    assert timer.event == WARNING_EXPIRY_EVENT
    assert timer.expires_at == clock.now + timedelta(days=30)
    assert timer.payload == {"guild_id": GUILD, "user_id": ALICE, "warning_id": outcome.warning.id}
    assert await service.expired(outcome.warning.id) is None
    clock.advance(days=30)
    assert await service.expired(outcome.warning.id) == outcome.warning
    assert await service.expired(outcome.warning.id + 1) is None


async def test_a_server_without_settings_gets_the_bots_defaults(
    database: Database, clock: Clock
) -> None:
    options = ModOptions(warning_expiry_days=None)
    service = WarningService(database, defaults=options.warning_defaults(), clock=clock)

    await service.warn(GUILD, ALICE, "alice", MODERATOR, reason="spam", points=2)
    clock.advance(days=365)

    assert (await service.standing(GUILD, ALICE)).active_points == 2
