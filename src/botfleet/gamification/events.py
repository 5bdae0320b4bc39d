"""What flows through the gamification framework: awards in, level-ups and unlocks out.

An :class:`XPAward` is one event that earned XP (a message, a command, a game result), as
buffered before it is saved. Saving a batch of awards yields :class:`LevelUp` and
:class:`AchievementUnlocked` events, each produced by exactly one database transaction in the
whole fleet, and dispatched once by the process that committed it (as ``xp_level_up`` and
``achievement_unlock``, so a cog listens with ``on_xp_level_up(event)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

LEVEL_UP_EVENT: Final = "xp_level_up"
ACHIEVEMENT_EVENT: Final = "achievement_unlock"

Dispatch = Callable[[str, object], object]
"""``bot.dispatch``: receives an event name and its event; may return an awaitable."""


class XPSource(StrEnum):
    """What earned the XP; the leaderboard counter each source feeds is in ``counters``."""

    MESSAGE = "message"
    COMMAND = "command"
    GAME = "game"
    CUSTOM = "custom"


CHAT_SOURCES: Final = frozenset({XPSource.MESSAGE, XPSource.COMMAND})
"""Fleet-wide activity: every bot hears a message, so whichever saved it says nothing of who
should speak about it."""


@dataclass(slots=True)
class XPAward:
    """One XP-earning event, waiting in the buffer to be saved; never changed once made (not
    frozen: a frozen dataclass's constructor cost 2.4 times as much, on every awarding message).

    ``amount`` is before premium boosts (they are applied when saved, from the database's
    current premium state). ``counters`` are added to the leaderboard categories they name
    (``{"messages": 1}``); ``gauges`` are values reported as they are (a win streak), used for
    achievements. A message award carries ``cooldown_seconds``: it is saved only if the
    member's cooldown in that guild had ended by ``occurred_at``, checked against the
    database, so every bot process of the fleet shares one cooldown.
    """

    user_id: int
    amount: int
    reason: str
    source: XPSource
    occurred_at: datetime
    guild_id: int | None = None
    bot_name: str | None = None
    channel_id: int | None = None
    username: str | None = None
    boosted: bool = True
    counters: Mapping[str, int] = field(default_factory=dict, hash=False)
    gauges: Mapping[str, int] = field(default_factory=dict, hash=False)
    cooldown_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class LevelUp:
    """A member reached a higher level: in one guild, or fleet-wide when ``guild_id`` is None."""

    user_id: int
    guild_id: int | None
    old_level: int
    new_level: int
    total_xp: int
    channel_id: int | None
    """Where the XP that caused it was earned, for "announce in the channel"."""
    bot_name: str | None
    source: XPSource | None = None
    """What earned the XP that caused it (a game's result wins over chat in one batch)."""

    @property
    def from_chat(self) -> bool:
        return self.source in CHAT_SOURCES


@dataclass(frozen=True, slots=True)
class AchievementUnlocked:
    """A member unlocked an achievement (fleet-wide; ``guild_id`` says where it happened)."""

    user_id: int
    achievement_id: int
    name: str
    description: str | None
    rarity: str | None
    points: int
    reward_xp: int
    unlocked_at: datetime
    guild_id: int | None
    channel_id: int | None
    bot_name: str | None
    source: XPSource | None = None
    """What earned the XP that caused it; None for an achievement granted directly."""

    @property
    def from_chat(self) -> bool:
        return self.source in CHAT_SOURCES


def announcer_of(event: LevelUp | AchievementUnlocked, host_bot: str) -> str | None:
    """The one bot that announces ``event``.

    Chat (messages, commands) is fleet-wide: its level-ups and achievements are announced by
    the host bot, whichever process happened to save the message first. What a game caused is
    announced by the bot that ran the game. None: the process that saved it announces.
    """
    if event.from_chat:
        return host_bot
    return event.bot_name


@dataclass(frozen=True, slots=True)
class RankingUpdate:
    """A leaderboard value as the database holds it after a save, to mirror into Redis.

    ``version`` is the member's ranking version the saving transaction set: of two updates of
    one member, the higher version is the later state, whichever is published last.
    """

    guild_id: int | None
    category: str
    period: str
    period_start_iso: str
    user_id: int
    value: int
    version: int


@dataclass(frozen=True, slots=True)
class FlushReport:
    """What saving one batch of awards did."""

    batch_id: str
    awards: int
    saved: int
    """Awards that earned XP; the others were message awards inside the shared cooldown."""
    level_ups: tuple[LevelUp, ...] = ()
    unlocks: tuple[AchievementUnlocked, ...] = ()
    rankings: tuple[RankingUpdate, ...] = ()
    already_saved: bool = False
    """The batch had been committed before (a retry after a lost acknowledgement): no-op."""
