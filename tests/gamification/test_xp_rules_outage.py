"""Chat in a guild whose XP rules this process never read, while the database cannot give them
(issue 19): the messages wait, bounded, and are judged once the rules come, each member once
per cooldown; past the bounds they earn nothing, as before.

The database's failure is the rules' read failing with the error SQLAlchemy raises when the
server is gone; `tests/reliability/test_reliability_postgres_restart.py` stops a real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from gamification_helpers import ADA, BOB, CHANNEL, GUILD, OTHER_GUILD, GamificationFactory
from sqlalchemy.exc import OperationalError

from botfleet.database import Database
from botfleet.gamification import GamificationOptions, XPSystem, rules_wait
from botfleet.gamification.guild_settings import GuildXPConfig

FIXED = GamificationOptions(message_xp_min=20, message_xp_max=20)
T0 = 1_780_000_000.0


class Outage:
    """Makes the rules' reads fail until :meth:`end`; counts the reads tried meanwhile."""

    def __init__(
        self, xp: XPSystem, monkeypatch: pytest.MonkeyPatch, read_seconds: float = 0.0
    ) -> None:
        self.reads_failed = 0
        self._over = False
        read = xp.settings.get

        async def get(guild_id: int) -> GuildXPConfig:
            await asyncio.sleep(read_seconds)  # a server that does not answer at once
            if not self._over:
                self.reads_failed += 1
                raise OperationalError("SELECT", {}, ConnectionRefusedError("server gone"))
            return await read(guild_id)

        monkeypatch.setattr(xp.settings, "get", get)

    def end(self) -> None:
        self._over = True


def hear(xp: XPSystem, user_id: int, sent: float, guild_id: int = GUILD) -> asyncio.Task[None]:
    pending = xp.hear_message(user_id, guild_id, CHANNEL, sent_at=sent, username="member")
    assert pending is not None, "the rules are not cached: the message must wait for them"
    return asyncio.create_task(as_coroutine(pending))


async def as_coroutine(pending: Coroutine[Any, Any, None]) -> None:
    await pending


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_wait, "RULES_RETRY_DELAYS", (0.05, 0.1))


@pytest.fixture
def xp(database: Database, make_gamification: GamificationFactory) -> XPSystem:
    return make_gamification(database, options=FIXED).xp


async def saved_xp(xp: XPSystem, member: int, guild_id: int = GUILD) -> int:
    """The member's XP once everything buffered is saved."""
    await xp.flush()
    return (await xp.profile(member, guild_id)).progress.total_xp


async def test_saves_and_deletions_wait_for_messages_whose_rules_are_being_read(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No outage: a guild's rules are read into the cache (a miss, usually milliseconds) while
    messages arrive; a flush begun meanwhile saves them, a deletion drops them (none lands
    after it), instead of missing them."""
    reading, release = asyncio.Event(), asyncio.Event()
    read = xp.settings.get

    async def slow_read(guild_id: int) -> GuildXPConfig:
        reading.set()
        await release.wait()
        return await read(guild_id)

    monkeypatch.setattr(xp.settings, "get", slow_read)
    ada, bob = hear(xp, ADA, T0), hear(xp, BOB, T0)
    await reading.wait()
    forget = asyncio.create_task(xp.forget_user(BOB))
    flush = asyncio.create_task(saved_xp(xp, ADA))
    await asyncio.sleep(0.05)
    assert not flush.done() and not forget.done(), "both wait for the rules being read"
    release.set()
    assert await flush == 20
    assert await forget == 1
    await asyncio.gather(ada, bob)
    assert await saved_xp(xp, BOB) == 0


async def test_a_flush_right_after_a_message_saves_it(xp: XPSystem) -> None:
    """The message's hook task has not begun reading the rules when the flush starts."""
    heard = hear(xp, ADA, T0)
    assert await saved_xp(xp, ADA) == 20
    await heard


async def test_chat_during_an_outage_earns_once_the_rules_can_be_read(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    outage = Outage(xp, monkeypatch)
    # Ada twice within her cooldown, then after it; Bob once; in two guilds.
    heard = [
        hear(xp, ADA, T0),
        hear(xp, ADA, T0 + 10),
        hear(xp, ADA, T0 + 61),
        hear(xp, BOB, T0 + 5),
        hear(xp, BOB, T0 + 5, guild_id=OTHER_GUILD),
    ]
    await asyncio.sleep(0.5)
    assert xp.pending_awards == 0
    assert not any(task.done() for task in heard), "the messages wait for their rules"
    failed_while_out = outage.reads_failed
    assert 2 <= failed_while_out <= 2 * 10, "one read per guild at a time, not one per message"
    outage.end()
    await asyncio.wait_for(asyncio.gather(*heard), timeout=5)
    assert await saved_xp(xp, ADA) == 40
    assert await saved_xp(xp, BOB) == 20
    assert await saved_xp(xp, BOB, OTHER_GUILD) == 20


async def test_a_longer_outage_costs_the_waiting_chat_its_xp_and_nothing_else(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules_wait, "RULES_WAIT_SECONDS", 0.3)
    outage = Outage(xp, monkeypatch)
    waiting = hear(xp, ADA, T0)
    await asyncio.sleep(0.15)
    assert not waiting.done(), "it waits for the rules"
    await asyncio.wait_for(waiting, timeout=5)  # then gives up after its 0.3 s
    assert xp.pending_awards == 0
    outage.end()
    await asyncio.wait_for(hear(xp, ADA, T0 + 61), timeout=5)
    assert await saved_xp(xp, ADA) == 20


async def test_messages_past_the_waiting_bound_earn_nothing_at_once(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules_wait, "MAX_MESSAGES_WAITING", 2)
    outage = Outage(xp, monkeypatch)
    waiting = [hear(xp, ADA, T0), hear(xp, BOB, T0)]
    await asyncio.sleep(0.05)
    turned_away = hear(xp, ADA + 1, T0)
    await asyncio.wait_for(turned_away, timeout=1)  # did not wait
    outage.end()
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    assert await saved_xp(xp, ADA) == 20
    assert await saved_xp(xp, ADA + 1) == 0


async def test_stopping_ends_the_wait_without_an_error(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    Outage(xp, monkeypatch)
    waiting = hear(xp, ADA, T0)
    await asyncio.sleep(0.1)
    await xp.stop()
    await asyncio.wait_for(waiting, timeout=5)  # ended, not cancelled: it earned nothing
    assert xp.pending_awards == 0


async def test_a_message_joining_a_long_read_still_waits_its_own_time(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its wait counts from its own arrival, not from the guild's first failed read."""
    monkeypatch.setattr(rules_wait, "RULES_WAIT_SECONDS", 0.6)
    outage = Outage(xp, monkeypatch)
    first = hear(xp, ADA, T0)
    await asyncio.sleep(0.45)
    late = hear(xp, BOB, T0 + 1)
    await asyncio.wait_for(first, timeout=5)  # the first gave up after its 0.6 s
    assert not late.done(), "the late message keeps waiting past the first one's bound"
    outage.end()
    await asyncio.wait_for(late, timeout=5)
    assert await saved_xp(xp, BOB) == 20
    assert await saved_xp(xp, ADA) == 0


async def test_stopping_during_a_first_read_buffers_nothing_into_the_stopped_writer(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    outage = Outage(xp, monkeypatch, read_seconds=0.3)
    outage.end()  # the read will succeed, but only after the bot stopped
    heard = hear(xp, ADA, T0)
    await asyncio.sleep(0.05)  # inside its first read
    await xp.stop()
    await asyncio.wait_for(heard, timeout=5)
    assert xp.pending_awards == 0


async def test_stopping_during_a_failing_first_read_starts_no_wait(
    xp: XPSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    outage = Outage(xp, monkeypatch, read_seconds=0.3)
    heard = hear(xp, ADA, T0)
    await asyncio.sleep(0.05)
    await xp.stop()
    await asyncio.wait_for(heard, timeout=1)  # no wait of 60 s begun after the stop
    assert outage.reads_failed == 1
    assert xp.pending_awards == 0
