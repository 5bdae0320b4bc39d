"""The write-behind's save under a steady flow of new members' awards, on SQLite and real
PostgreSQL: a save takes the members buffered when it began, so it ends and keeps few reports."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from gamification_helpers import GUILD, GamificationFactory

from botfleet.database import Database
from botfleet.gamification import FlushReport, GamificationOptions, XPAward

MEMBERS = 10
BATCH = 5
FIRST_MEMBER = 50_000


async def test_a_save_under_a_steady_flow_of_new_members_ends_with_those_buffered_before(
    database: Database, make_gamification: GamificationFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gamification = make_gamification(
        database, options=GamificationOptions(flush_batch_size=BATCH, flush_interval=60)
    )
    for member in range(MEMBERS):
        await gamification.xp.award_xp(FIRST_MEMBER + member, 5, "bonus", guild_id=GUILD)
    store = gamification.xp.writer.store
    save = store.save
    newcomers = iter(range(FIRST_MEMBER + MEMBERS, FIRST_MEMBER + 10 * MEMBERS))

    async def save_while_members_keep_coming(
        batch_id: str, awards: Sequence[XPAward]
    ) -> FlushReport:
        newcomer = next(newcomers, None)
        if newcomer is not None:  # a member's first message while the batch is saved
            await gamification.xp.award_xp(newcomer, 5, "bonus", guild_id=GUILD)
        return await save(batch_id, awards)

    monkeypatch.setattr(store, "save", save_while_members_keep_coming)

    reports = await gamification.xp.flush()

    assert sorted(report.awards for report in reports) == [BATCH, BATCH]
    assert gamification.xp.writer.pending_awards == 2  # one newcomer per save: the next one's
    assert sum(report.awards for report in await gamification.xp.flush()) == 2
