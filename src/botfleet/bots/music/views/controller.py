"""The now-playing message: an embed that follows the player, and buttons that outlive restarts.

The buttons' custom ids name only the action (``music:control:skip``): a guild has one player,
so the press's guild says which. The cog registers the item class at start, so a controller
posted before a restart still works.
"""

from __future__ import annotations

from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.music.player import GuildPlayer
from botfleet.bots.music.services.ffmpeg import EFFECTS, Effect
from botfleet.bots.music.services.queue import LoopMode, TrackQueue
from botfleet.bots.music.services.tracks import Track, format_clock, progress_bar
from botfleet.core.errors import cog_serving
from botfleet.core.persistent import (
    ButtonLook,
    CustomIdFormat,
    PersistentItem,
    drawn_button,
    one_of,
)
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import plural

COG_NAME: Final = "Music"
QUEUE_PAGE_SIZE: Final = 10
Button = discord.ui.Button[discord.ui.View]
ACTIONS: Final = ("toggle", "back", "skip", "loop", "leave")
CONTROL_ID: Final = CustomIdFormat("music", "control", one_of("action", *ACTIONS))
LOOP_EMOJI: Final = {LoopMode.OFF: "➡️", LoopMode.TRACK: "🔂", LoopMode.QUEUE: "🔁"}


@runtime_checkable
class ControllerActions(Protocol):
    """What the controller's buttons ask of the Music cog."""

    async def press_control(self, interaction: discord.Interaction[Any], action: str) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> ControllerActions | None:
    """The Music cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, ControllerActions, "The player")


class ControlButton(PersistentItem[Button], custom_id=CONTROL_ID):
    """One button of the controller."""

    LABELS: Final[dict[str, ButtonLook]] = {
        "toggle": ("Pause/Resume", "⏯️", discord.ButtonStyle.primary),
        "back": ("Back", "⏮️", discord.ButtonStyle.secondary),
        "skip": ("Skip", "⏭️", discord.ButtonStyle.secondary),
        "loop": ("Loop", "🔁", discord.ButtonStyle.secondary),
        "leave": ("Stop", "⏹️", discord.ButtonStyle.danger),
    }

    def __init__(self, action: str, *, disabled: bool = False) -> None:
        super().__init__(
            drawn_button(self.LABELS[action], CONTROL_ID.build(action), disabled=disabled)
        )
        self.action = action

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actions = await actions_of(interaction)
        if actions is not None:
            await actions.press_control(interaction, self.action)


def controller_view(*, active: bool) -> discord.ui.View:
    """The controller's buttons (disabled once the player stopped)."""
    view = discord.ui.View(timeout=None)
    for action in ACTIONS:
        view.add_item(ControlButton(action, disabled=not active))
    return view


def track_line(track: Track) -> str:
    """A track with its length and requester, for lists."""
    length = format_clock(track.duration) if track.duration else "live"
    who = f" · <@{track.requester_id}>" if track.requester_id else ""
    return f"{truncate_string(track.display_title, 80)} `{length}`{who}"


def now_playing_embed(
    queue: TrackQueue,
    *,
    position: float,
    paused: bool,
    effect: Effect,
    volume: int,
    color: int | None = None,
    stream_title: str | None = None,
) -> discord.Embed:
    """The controller's embed: the track, a progress bar, what comes next."""
    track = queue.current
    if track is None:
        return discord.Embed(
            title="Nothing playing",
            description="The queue has ended — add more with /play.",
            color=color,
        )
    state = "⏸️ Paused" if paused else "▶️ Now playing"
    description = f"**{truncate_string(track.display_title, 200)}**"
    if stream_title:
        description += f"\n📻 {truncate_string(stream_title, 200)}"
    embed = discord.Embed(title=state, description=description, color=color)
    embed.add_field(name="Progress", value=progress_bar(position, track.duration), inline=False)
    embed.add_field(
        name="Requested by", value=f"<@{track.requester_id}>" if track.requester_id else "—"
    )
    embed.add_field(name="Loop", value=f"{LOOP_EMOJI[queue.loop]} {queue.loop.value}")
    embed.add_field(name="Sound", value=f"{EFFECTS[effect].label} · {volume}%")
    if queue.upcoming:
        embed.add_field(
            name=f"Up next ({plural(len(queue.upcoming), 'track')})",
            value=track_line(queue.upcoming[0]),
            inline=False,
        )
    return embed


def player_embed(player: GuildPlayer, color: int | None = None) -> discord.Embed:
    """The controller's embed for a guild's player as it is now."""
    return now_playing_embed(
        player.queue,
        position=player.position,
        paused=player.paused,
        effect=player.settings.effect,
        volume=player.settings.volume,
        color=color,
        stream_title=player.stream_title,
    )


def queue_page(queue: TrackQueue, page: int) -> tuple[str, int]:
    """One page of the queue as text, and the number of pages."""
    pages = max(1, -(-len(queue.upcoming) // QUEUE_PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * QUEUE_PAGE_SIZE
    lines = []
    if queue.current is not None:
        lines.append(f"**Now:** {track_line(queue.current)}")
    lines.extend(
        f"`{number}.` {track_line(track)}"
        for number, track in enumerate(queue.upcoming[start : start + QUEUE_PAGE_SIZE], start + 1)
    )
    if not queue.upcoming:
        lines.append("The queue is empty.")
    total = format_clock(queue.total_seconds)
    lines.append(
        f"-# Page {page}/{pages} · {plural(len(queue.upcoming), 'track')} · {total} · "
        f"loop {queue.loop.value}"
    )
    return "\n".join(lines), pages
