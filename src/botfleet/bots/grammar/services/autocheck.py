"""Auto-check channels behind the cache, and what a checked member's text earns.

A guild's auto-check channels are cached as one small map per guild (memory, then Redis), so a
message in a busy server costs no database query; enabling or disabling a channel invalidates
that guild's map in every process.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from botfleet.bots.grammar.services.checker import CheckResult
from botfleet.bots.grammar.services.feats import GrammarFeat
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.store import AutoCheckChannel, GrammarStore
from botfleet.cache import CacheHierarchy
from botfleet.gamification import GameResult, Gamification

log = logging.getLogger(__name__)

BOT_NAME: Final = "grammar"
CHANNELS_TTL: Final = 300.0


def channels_cache_key(guild_id: int) -> str:
    return f"grammar:autocheck:{guild_id}"


@dataclass(frozen=True, slots=True)
class KnownStrictness:
    """A channel's auto-check strictness as this process knows it: None when not checked."""

    strictness: Strictness | None


class AutoCheckChannels:
    """Which channels of a guild are auto-checked, read through the cache."""

    def __init__(self, store: GrammarStore, cache: CacheHierarchy) -> None:
        self.store = store
        self.cache = cache

    def known_strictness(self, guild_id: int, channel_id: int) -> KnownStrictness | None:
        """The channel's strictness if this process holds the guild's channels in memory,
        without awaiting (one cache read, counted once); None when it does not."""
        channels = self.cache.in_memory(channels_cache_key(guild_id))
        if channels is None:
            return None
        value = channels.get(str(channel_id))
        return KnownStrictness(Strictness(value) if value is not None else None)

    async def strictness_in(self, guild_id: int, channel_id: int) -> Strictness | None:
        """The strictness of an auto-check channel; None when the channel is not checked."""

        async def load() -> dict[str, str]:
            return {
                str(channel.channel_id): channel.strictness.value
                for channel in await self.store.channels(guild_id)
            }

        channels = await self.cache.get_or_load(channels_cache_key(guild_id), load, CHANNELS_TTL)
        value = channels.get(str(channel_id))
        return Strictness(value) if value is not None else None

    async def enable(
        self, guild_id: int, channel_id: int, strictness: Strictness, admin_id: int
    ) -> AutoCheckChannel:
        channel = await self.store.enable_channel(guild_id, channel_id, strictness, admin_id)
        await self.cache.invalidate(channels_cache_key(guild_id))
        log.info(
            "admin %d enabled auto-check in channel %d of guild %d (%s)",
            admin_id,
            channel_id,
            guild_id,
            strictness.value,
        )
        return channel

    async def disable(self, guild_id: int, channel_id: int, admin_id: int) -> bool:
        disabled = await self.store.disable_channel(guild_id, channel_id)
        await self.cache.invalidate(channels_cache_key(guild_id))
        if disabled:
            log.info(
                "admin %d disabled auto-check in channel %d of guild %d",
                admin_id,
                channel_id,
                guild_id,
            )
        return disabled

    async def list(self, guild_id: int) -> list[AutoCheckChannel]:
        return await self.store.channels(guild_id)


class CheckRecorder:
    """Counts a member's check of their own text, and rewards a clean one with a game result.

    Clean checks earn at most ``daily_clean_rewards`` results a day, so checking "Hello there
    friend" a hundred times earns nothing more.
    """

    def __init__(
        self, store: GrammarStore, gamification: Gamification, daily_clean_rewards: int
    ) -> None:
        self.store = store
        self.gamification = gamification
        self.daily_clean_rewards = daily_clean_rewards

    async def record(
        self,
        result: CheckResult,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        role_ids: Collection[int] = (),
    ) -> bool:
        """Count the check; return whether a clean result was reported to gamification."""
        clean_today = await self.store.record_check(user_id, guild_id, result.issues)
        if result.issues or clean_today > self.daily_clean_rewards:
            return False
        await self.gamification.xp.report_game(
            [GameResult(user_id, GrammarFeat.CLEAN, role_ids=tuple(role_ids))],
            guild_id=guild_id,
            channel_id=channel_id,
            bot_name=BOT_NAME,
            save_now=False,
        )
        return True
