"""Real bot processes on one database (SQLite file and real PostgreSQL): several award at once
and every level-up fires once; one killed with SIGKILL loses only what it had not saved yet."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from botfleet.database import Database
from botfleet.database.models import LeaderboardEntry, User, UserAchievement
from botfleet.database.models.gamification import AchievementRule, MemberXP
from botfleet.gamification.levels import DEFAULT_CURVE
from botfleet.gamification.periods import ALL_TIME_START

WORKER = Path(__file__).with_name("xp_worker.py")
GUILD = 111_111_111_111_111_111
COMMAND_XP = 5


async def start_worker(url: str, *arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--url",
        url,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


async def read_lines(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    assert process.stdout is not None
    return [json.loads(line) for line in (await process.stdout.read()).splitlines()]


async def saved_commands(database: Database) -> tuple[int, int]:
    """Commands counted on the fleet-wide all-time board, and the XP saved with them."""
    async with database.session() as session:
        commands = await session.scalar(
            select(func.coalesce(func.sum(LeaderboardEntry.value), 0)).where(
                LeaderboardEntry.guild_id.is_(None),
                LeaderboardEntry.category == "commands",
                LeaderboardEntry.period_start == ALL_TIME_START,
            )
        )
        member_xp = await session.scalar(select(func.coalesce(func.sum(MemberXP.xp), 0)))
    return int(commands or 0), int(member_xp or 0)


async def test_processes_awarding_at_once_count_everything_once(migrated_url: str) -> None:
    workers = [
        await start_worker(migrated_url, "--bot", bot, "--awards", "120", "--pause", "0")
        for bot in ("grammar", "hangman", "spelling_bee")
    ]
    outputs = await asyncio.gather(*(read_lines(worker) for worker in workers))
    assert [await worker.wait() for worker in workers] == [0, 0, 0]
    assert all(lines[-1] == {"stopped": True} for lines in outputs)

    database = Database(migrated_url)
    try:
        assert await saved_commands(database) == (360, 360 * COMMAND_XP)
        async with database.session() as session:
            members = {row.user_id: row for row in (await session.scalars(select(MemberXP))).all()}
            users = {row.id: row for row in (await session.scalars(select(User))).all()}
            unlocked = (
                await session.execute(
                    select(UserAchievement.user_id, AchievementRule.reward_xp)
                    .join(
                        AchievementRule,
                        AchievementRule.achievement_id == UserAchievement.achievement_id,
                    )
                    .where(UserAchievement.progress == 100)
                )
            ).all()
    finally:
        await database.dispose()

    rewards: dict[int, int] = defaultdict(int)
    for user_id, reward in unlocked:
        rewards[user_id] += reward
    level_ups: dict[tuple[int, int | None], list[tuple[int, int]]] = defaultdict(list)
    unlock_events = []
    for line in (line for lines in outputs for line in lines):
        if line.get("event") == "xp_level_up":
            level_ups[line["user_id"], line["guild_id"]].append(
                (line["old_level"], line["new_level"])
            )
        elif line.get("event") == "achievement_unlock":
            unlock_events.append(line["user_id"])
    assert len(unlock_events) == len(unlocked)  # each unlock reported by one process, once
    for user_id, member in members.items():
        assert member.xp == 72 * COMMAND_XP  # 360 awards over 5 members
        assert users[user_id].total_xp == member.xp + rewards[user_id]
        for scope, final in ((GUILD, member.level), (None, users[user_id].level)):
            steps = sorted(level_ups[user_id, scope])
            assert [old for old, _ in steps] == [1, *(new for _, new in steps[:-1])]
            assert (
                steps[-1][1]
                == final
                == DEFAULT_CURVE.level_for_xp(member.xp if scope else users[user_id].total_xp)
            )


async def test_a_killed_process_loses_only_its_unsaved_awards(migrated_url: str) -> None:
    worker = await start_worker(migrated_url, "--flush-interval", "0.3", "--pause", "0.002")
    assert worker.stdout is not None
    last: dict[str, Any] = {}
    async with asyncio.timeout(60):
        while last.get("awarded", 0) - last.get("pending", 0) < 300:
            last = json.loads(await worker.stdout.readline())
    worker.send_signal(signal.SIGKILL)
    for line in await read_lines(worker):
        if "awarded" in line:
            last = line
    assert await worker.wait() == -signal.SIGKILL

    database = Database(migrated_url)
    try:
        commands, xp = await saved_commands(database)
    finally:
        await database.dispose()
    awarded, pending = last["awarded"], last["pending"]
    assert xp == commands * COMMAND_XP  # whole batches only: nothing half-saved
    assert awarded - pending <= commands <= awarded + 1  # every saved award is there
    assert awarded - commands <= pending  # the loss is what was still buffered
