"""Where a guild wants a level-up or an achievement announced, decided without Discord."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from botfleet.gamification.guild_settings import GuildXPConfig
from botfleet.gamification.options import AnnouncementMode


@dataclass(frozen=True, slots=True)
class Announcement:
    """Where to announce a level-up: a channel, or the member's DMs (``channel_id`` None)."""

    mode: AnnouncementMode
    channel_id: int | None


class Announceable(Protocol):
    """A level-up or an achievement: the guild and channel where it was earned."""

    @property
    def guild_id(self) -> int | None: ...

    @property
    def channel_id(self) -> int | None: ...


def announcement_for(level_up: Announceable, config: GuildXPConfig) -> Announcement | None:
    """Where a guild wants this level-up (or achievement) announced, or None (off, or nowhere
    to say it)."""
    if level_up.guild_id is None or level_up.guild_id != config.guild_id:
        return None
    mode = config.announcement_mode
    if mode is AnnouncementMode.DM:
        return Announcement(mode, None)
    if mode is AnnouncementMode.CHOSEN_CHANNEL and config.announcement_channel_id is not None:
        return Announcement(mode, config.announcement_channel_id)
    if mode is AnnouncementMode.CHANNEL and level_up.channel_id is not None:
        return Announcement(mode, level_up.channel_id)
    return None
