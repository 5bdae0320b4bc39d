"""Case logs: numbering without gaps or duplicates under concurrency, listing, amending."""

from __future__ import annotations

import asyncio

import pytest
from mod_helpers import ALICE, BOB, CHANNEL, GUILD, MODERATOR, OTHER_GUILD, OTHER_MODERATOR, Clock

from botfleet.bots.mod.services.cases import CaseNotFoundError, CaseStore, NewCase
from botfleet.bots.mod.services.limits import CaseAction, ReasonTooLongError
from botfleet.database import Database
from botfleet.errors import UserError


def _ban(target: int = ALICE, guild: int = GUILD, reason: str | None = "spam") -> NewCase:
    return NewCase(
        guild_id=guild,
        action=CaseAction.BAN,
        target_id=target,
        target_name="alice",
        moderator_id=MODERATOR,
        reason=reason,
        channel_id=CHANNEL,
    )


async def test_concurrent_cases_over_two_engines_are_numbered_1_to_20(
    database: Database, migrated_url: str, clock: Clock
) -> None:
    second = Database(migrated_url)
    try:
        stores = [CaseStore(database), CaseStore(second)]
        cases = await asyncio.gather(
            *(stores[index % 2].create(_ban(), clock()) for index in range(20))
        )
    finally:
        await second.dispose()

    assert sorted(case.number for case in cases) == list(range(1, 21))
    listed = await CaseStore(database).for_member(GUILD, ALICE, limit=50)
    assert [case.number for case in listed] == list(range(20, 0, -1))


async def test_each_guild_has_its_own_numbers(database: Database, clock: Clock) -> None:
    store = CaseStore(database)

    first = await store.create(_ban(), clock())
    other = await store.create(_ban(guild=OTHER_GUILD), clock())
    second = await store.create(_ban(target=BOB), clock())

    assert (first.number, other.number, second.number) == (1, 1, 2)


async def test_a_case_keeps_every_field(database: Database, clock: Clock) -> None:
    store = CaseStore(database)
    until = clock.now.replace(hour=13)
    created = await store.create(
        NewCase(
            guild_id=GUILD,
            action=CaseAction.TEMPBAN,
            target_id=ALICE,
            target_name="alice",
            moderator_id=MODERATOR,
            reason="  raiding  ",
            until=until,
            channel_id=CHANNEL,
            dm_text="You were banned for an hour.",
        ),
        clock(),
    )
    await store.attach_modlog_message(GUILD, created.number, 777)

    case = await store.get(GUILD, created.number)

    assert case.action is CaseAction.TEMPBAN
    assert case.reason == "raiding"
    assert case.until == until
    assert case.created_at == clock.now
    assert case.modlog_message_id == 777
    assert case.dm_text == "You were banned for an hour."
    assert case.amended_at is None


async def test_amending_a_reason_records_who_and_when(database: Database, clock: Clock) -> None:
    store = CaseStore(database)
    created = await store.create(_ban(), clock())
    clock.advance(minutes=5)

    amended = await store.amend_reason(
        GUILD, created.number, "ban evasion", OTHER_MODERATOR, clock()
    )

    assert amended.reason == "ban evasion"
    assert (amended.amended_by, amended.amended_at) == (OTHER_MODERATOR, clock.now)
    assert (await store.get(GUILD, created.number)).reason == "ban evasion"


async def test_unknown_cases_and_bad_reasons_are_refused(database: Database, clock: Clock) -> None:
    store = CaseStore(database)
    await store.create(_ban(), clock())

    with pytest.raises(CaseNotFoundError, match="no case #9"):
        await store.get(GUILD, 9)
    with pytest.raises(CaseNotFoundError):
        await store.amend_reason(GUILD, 9, "x", MODERATOR, clock())
    with pytest.raises(ReasonTooLongError, match="512 characters at most"):
        await store.amend_reason(GUILD, 1, "x" * 513, MODERATOR, clock())
    with pytest.raises(UserError, match="new reason"):
        await store.amend_reason(GUILD, 1, "   ", MODERATOR, clock())
    with pytest.raises(ReasonTooLongError):
        await store.create(_ban(reason="y" * 600), clock())
    assert [case.number for case in await store.for_member(GUILD, ALICE)] == [1]
