"""A bot process for the multi-process tests: awards command XP and reports on stdout.

One JSON line per award (``{"awarded": n, "pending": p}``: n awards made, p of them not saved
yet) and per event (``{"event": "xp_level_up", ...}``), then ``{"stopped": true}`` after a
graceful stop. ``--awards 0`` awards until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.gamification import (
    AchievementUnlocked,
    Gamification,
    GamificationOptions,
    LevelUp,
)

GUILD = 111_111_111_111_111_111


def report(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def on_event(name: str, event: object) -> None:
    if isinstance(event, LevelUp):
        report(
            {
                "event": name,
                "user_id": event.user_id,
                "guild_id": event.guild_id,
                "old_level": event.old_level,
                "new_level": event.new_level,
            }
        )
    elif isinstance(event, AchievementUnlocked):
        report({"event": name, "user_id": event.user_id, "achievement_id": event.achievement_id})


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--bot", default="hangman")
    parser.add_argument("--awards", type=int, default=0)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--flush-interval", type=float, default=0.2)
    parser.add_argument("--pause", type=float, default=0.001)
    args = parser.parse_args()

    database = Database(args.url)
    cache = CacheHierarchy(MemoryCache(1000))
    options = GamificationOptions(flush_interval=args.flush_interval, flush_batch_size=50)
    gamification = Gamification(
        database, cache, bot_name=args.bot, options=options, dispatch=on_event
    )
    await gamification.start()
    awarded = 0
    while args.awards == 0 or awarded < args.awards:
        user_id = 1 + awarded % args.members
        await gamification.xp.award_command(user_id, "play", guild_id=GUILD)
        awarded += 1
        report({"awarded": awarded, "pending": gamification.xp.pending_awards})
        await asyncio.sleep(args.pause)
    await gamification.stop()
    await database.dispose()
    report({"stopped": True})


if __name__ == "__main__":
    asyncio.run(main())
