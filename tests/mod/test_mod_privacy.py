"""Data-deletion requests: cases kept without the member's name and DMs; warnings, notes gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mod_helpers import ALICE, BOB, GUILD, MODERATOR, Clock
from sqlalchemy import select

from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.records import ERASED, NoteStore
from botfleet.bots.mod.services.sanctions import UNBAN_EVENT, BanService
from botfleet.bots.mod.services.warnings import WarningService
from botfleet.database import Database
from botfleet.database.models import Timer
from botfleet.errors import UserError
from botfleet.services.privacy import delete_user_everywhere
from botfleet.services.scheduler import Scheduler


async def test_cases_are_kept_anonymised_and_warnings_and_notes_deleted(
    database: Database, migrated_url: str, clock: Clock
) -> None:
    scheduler = Scheduler(database, lambda name, timer: None, bot_name="mod")
    cases = CaseStore(database)
    warnings = WarningService(database, scheduler, clock=clock)
    notes = NoteStore(database)
    bans = BanService(database, scheduler)
    for target, name in ((ALICE, "alice"), (BOB, "bob")):
        await warnings.warn(GUILD, target, name, MODERATOR, reason="spam", points=1)
        await notes.add(GUILD, target, MODERATOR, f"watch {name}", clock())
        tempban = await cases.create(
            NewCase(
                guild_id=GUILD,
                action=CaseAction.TEMPBAN,
                target_id=target,
                target_name=name,
                moderator_id=MODERATOR,
                reason="raid",
                dm_text=f"{name}, you are banned for a day.",
            ),
            clock(),
        )
        await bans.record(GUILD, target, tempban.number, clock.now + timedelta(days=1))

    report = await delete_user_everywhere(migrated_url, ALICE)

    assert report["mod_warnings_and_notes"] == 2
    assert {name: rows for name, rows in report.anonymised.items() if rows} == {"mod_cases": 2}
    assert "mod_cases" not in report
    kept = await cases.for_member(GUILD, ALICE)
    assert [(case.action, case.target_name, case.reason) for case in kept] == [
        (CaseAction.TEMPBAN, ERASED, "raid"),
        (CaseAction.WARN, ERASED, "spam"),
    ]
    assert [case.dm_text for case in kept] == [ERASED, None]
    assert (await warnings.standing(GUILD, ALICE)).warnings == ()
    assert await notes.for_member(GUILD, ALICE) == []
    # The ban is the server's record too: its unban timer survives the request.
    async with database.session() as session:
        timers = list(await session.scalars(select(Timer).order_by(Timer.id)))
    assert [timer.payload["target_id"] for timer in timers if timer.event == UNBAN_EVENT] == [
        ALICE,
        BOB,
    ]

    bob_cases = await cases.for_member(GUILD, BOB)
    assert {case.target_name for case in bob_cases} == {"bob"}
    assert len((await warnings.standing(GUILD, BOB)).warnings) == 1
    assert [note.text for note in await notes.for_member(GUILD, BOB)] == ["watch bob"]


async def test_notes_are_checked(database: Database, clock: Clock) -> None:
    notes = NoteStore(database)

    with pytest.raises(UserError, match="needs some text"):
        await notes.add(GUILD, ALICE, MODERATOR, "   ", clock())
    with pytest.raises(UserError, match="1000 characters at most"):
        await notes.add(GUILD, ALICE, MODERATOR, "x" * 1001, clock())
    first = await notes.add(GUILD, ALICE, MODERATOR, " first ", clock())
    clock.advance(minutes=1)
    second = await notes.add(GUILD, ALICE, MODERATOR, "second", clock())

    assert await notes.for_member(GUILD, ALICE) == [second, first]
    assert first.text == "first"
