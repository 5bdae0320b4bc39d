"""The player's commands: /play, /queue, /nowplaying, the controls, and the server's settings.

Thin: each command finds the member and the guild's player, checks who may act, and calls
the player or the queue; every refusal is a :class:`~botfleet.errors.UserError`, answered
privately by the bot's error handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from botfleet.bots.music.player import GuildPlayer
from botfleet.bots.music.players import PlayerManager
from botfleet.bots.music.services.control import (
    parse_position,
    seek_target,
    shifted_position,
)
from botfleet.bots.music.services.ffmpeg import EFFECTS, MAX_VOLUME, Effect
from botfleet.bots.music.services.http_sources import LinkTracks
from botfleet.bots.music.services.queue import LoopMode, TrackQueue
from botfleet.bots.music.services.sources import MAX_QUERY_LENGTH, SourceResolver
from botfleet.bots.music.services.store import GuildSettings, MusicStore
from botfleet.bots.music.services.tracks import Track, format_clock
from botfleet.bots.music.views.controller import (
    COG_NAME,
    ControlButton,
    player_embed,
    queue_page,
    track_line,
)
from botfleet.core.answers import answer_in_time
from botfleet.core.errors import refuse
from botfleet.errors import UserError
from botfleet.utils.tasks import cancel_and_wait
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.bots.music.config import MusicOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Music plays in a server's voice channels."
NOTHING_PLAYING: Final = "Nothing is playing — start something with /play."
MAX_AUTOCOMPLETE: Final = 25
QUIET: Final = discord.AllowedMentions.none()
PLAYER_CHANGE: Final = "music change"
"""What a slow control's answer is called in the note that it is coming.

A new FFmpeg process, and for a web page's track a fresh lookup of its stream, can take longer
than the 3 seconds Discord gives a first answer, and every change of the player waits while a
track starts: the controls answer through ``answer_in_time``, after every check that can
refuse the member, so refusals stay private.
"""


def _anything(_: TrackQueue) -> None:
    """The check of an edit any queue allows (clear, dedupe)."""


def is_dj(member: discord.Member, settings: GuildSettings) -> bool:
    """Manage Server, or the server's DJ role."""
    role_id = settings.dj_role_id
    return member.guild_permissions.manage_guild or (
        role_id is not None and any(role.id == role_id for role in member.roles)
    )


def member_of(interaction: discord.Interaction[Any]) -> discord.Member:
    """The member who used a command in a server."""
    if not isinstance(interaction.user, discord.Member):
        raise UserError(SERVER_ONLY)
    return interaction.user


class MusicCommands(commands.Cog, name=COG_NAME):
    """Play music in voice: queue, controls, effects and the server's settings."""

    music = app_commands.Group(
        name="music", description="The music player's server settings.", guild_only=True
    )

    def __init__(
        self,
        bot: FleetBot[MusicOptions],
        manager: PlayerManager,
        resolver: SourceResolver,
        store: MusicStore,
        session: aiohttp.ClientSession,
    ) -> None:
        self.bot = bot
        self.manager = manager
        self.resolver = resolver
        self.store = store
        self.session = session
        self.restoring: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ControlButton)

    async def cog_unload(self) -> None:
        """Save and stop the players (they resume at the next start), close the link session."""
        self.bot.remove_dynamic_items(ControlButton)
        await cancel_and_wait(self.restoring)  # its database session closes before players save
        await self.manager.close()
        await self.session.close()

    # -- who may do what ---------------------------------------------------------------------

    def _player(self, interaction: discord.Interaction[Any], *, idle: bool = False) -> GuildPlayer:
        """The guild's player with a track loaded (``idle``: or in voice with none)."""
        if interaction.guild_id is None:
            raise UserError(SERVER_ONLY)
        player = self.manager.players.get(interaction.guild_id)
        if player is None or (player.queue.current is None and not idle):
            raise UserError(NOTHING_PLAYING)
        return player

    def _listening(self, player: GuildPlayer, member: discord.Member) -> None:
        if member.id not in self.manager.listener_ids(player):
            raise UserError("Join the voice channel I am playing in first.")

    def is_dj(self, player: GuildPlayer, member: discord.Member) -> bool:
        """Manage Server, or the server's DJ role."""
        return is_dj(member, player.settings)

    def _require_control(self, player: GuildPlayer, member: discord.Member) -> None:
        """In the channel, and a DJ when the server named a DJ role."""
        if self.is_dj(player, member):
            return
        self._listening(player, member)
        if player.settings.dj_role_id is not None:
            raise UserError(
                f"Only members with <@&{player.settings.dj_role_id}> (DJs) can do that."
            )

    async def require_dj_when_named(self, member: discord.Member) -> None:
        """With no player to read it from: the stored DJ role, when the server named one."""
        settings = await self.store.settings(member.guild.id)
        if settings.dj_role_id is not None and not is_dj(member, settings):
            raise UserError(f"Only members with <@&{settings.dj_role_id}> (DJs) can do that.")

    async def _controlled(self, interaction: discord.Interaction[Any]) -> GuildPlayer:
        player = self._player(interaction)
        self._require_control(player, member_of(interaction))
        return player

    # -- playing -----------------------------------------------------------------------------

    async def query_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Library tracks matching what was typed."""
        tracks = self.resolver.library.search(current, limit=MAX_AUTOCOMPLETE)
        return [
            app_commands.Choice(name=track.display_title[:100], value=track.display_title[:100])
            for track in tracks
        ]

    @app_commands.command(name="play", description="Play a song: search words, a link, or a file.")
    @app_commands.describe(
        query="Words to search the library (or the web), or an http(s) link",
        file="An audio file to play",
        play_next="Play it right after the current track",
    )
    @app_commands.rename(play_next="next")
    @app_commands.autocomplete(query=query_choices)
    @app_commands.guild_only()
    async def play(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, MAX_QUERY_LENGTH] | None = None,
        file: discord.Attachment | None = None,
        play_next: bool = False,
    ) -> None:
        member = member_of(interaction)
        if (query is None) == (file is None):
            raise UserError("Give either words or a link to play, or attach a file — one of them.")
        if play_next and member.guild_permissions.manage_guild is False:
            player = self.manager.players.get(member.guild.id)
            if player is not None and player.settings.dj_role_id is not None:
                self._require_control(player, member)
        self.manager.voice_channel_for(member)  # before a link is looked up for nothing
        # Links and files take a moment to check; the answer is private, and the public
        # controller message shows what plays and what comes next.
        async with answer_in_time(interaction, "track", ephemeral=True) as answer:
            tracks = await self.resolver.resolve(file.url if file else query or "", member.id)
            premium = await self.bot.premium.covers(member.id, member.guild.id)
            position = await self.manager.enqueue_for(
                member, interaction.channel_id, tracks, play_next=play_next, premium=premium
            )
            await self.manager.count_queued(member.guild.id, member.id, len(tracks))
            first = tracks[0]
            if position == 0:
                text = f"▶️ Playing **{first.display_title}**"
            else:
                text = f"➕ Queued **{first.display_title}** at #{position}"
            if len(tracks) > 1:
                text += f" and {plural(len(tracks) - 1, 'more track')}"
            if isinstance(tracks, LinkTracks) and tracks.note:
                text += f"\n{tracks.note}"
            await answer.send(text, allowed_mentions=QUIET)

    @app_commands.command(name="queue", description="Show the queue.")
    @app_commands.describe(page="Which page (10 tracks each)")
    @app_commands.guild_only()
    async def queue(
        self, interaction: discord.Interaction[Any], page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        player = self._player(interaction)
        text, _ = queue_page(player.queue, page)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=QUIET)

    @app_commands.command(name="nowplaying", description="Show the track playing and its progress.")
    @app_commands.guild_only()
    async def nowplaying(self, interaction: discord.Interaction[Any]) -> None:
        player = self._player(interaction)
        embed = player_embed(player, self.bot.settings.colors.primary)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- controls ----------------------------------------------------------------------------

    @app_commands.command(name="pause", description="Pause the music.")
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        player = await self._controlled(interaction)
        if player.paused:
            raise UserError("The music is paused already — /resume plays it again.")
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await player.set_paused(True)
            await answer.send("⏸️ Paused.", allowed_mentions=QUIET)

    @app_commands.command(name="resume", description="Resume the paused music.")
    @app_commands.guild_only()
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        player = await self._controlled(interaction)
        if not player.paused:
            raise UserError("The music is not paused.")
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await player.set_paused(False)
            await answer.send("▶️ Resumed.", allowed_mentions=QUIET)

    def skip_verdict(self, player: GuildPlayer, member: discord.Member) -> tuple[bool, str]:
        """Whether the member's skip goes ahead (a DJ, the requester, or the deciding vote),
        and what to answer; a vote that does not decide is counted here."""
        current = player.queue.current
        if current is None:
            raise UserError(NOTHING_PLAYING)
        if not self.is_dj(player, member):
            self._listening(player, member)
        if self.is_dj(player, member) or current.requester_id == member.id:
            return True, f"⏭️ Skipped **{current.display_title}**."
        votes, needed = player.skip_vote.cast(
            player.playback_id, member.id, self.manager.listener_ids(player)
        )
        if votes < needed:
            return False, f"🗳️ Vote to skip: {votes}/{needed}."
        return True, f"⏭️ Skipped **{current.display_title}** by vote ({votes}/{needed})."

    async def _skip(self, interaction: discord.Interaction[Any], player: GuildPlayer) -> None:
        """The skip command and the controller's button alike."""
        goes_ahead, text = self.skip_verdict(player, member_of(interaction))
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            if goes_ahead:
                await player.skip()
            await answer.send(text, allowed_mentions=QUIET)

    @app_commands.command(name="skip", description="Skip the track (or vote to skip it).")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction[Any]) -> None:
        await self._skip(interaction, self._player(interaction))

    async def _back(self, interaction: discord.Interaction[Any], player: GuildPlayer) -> None:
        player.queue.check_back()
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            track = await player.back()
            await answer.send(f"⏮️ Back to **{track.display_title}**.", allowed_mentions=QUIET)

    @app_commands.command(name="back", description="Play the previous track again.")
    @app_commands.guild_only()
    async def back(self, interaction: discord.Interaction[Any]) -> None:
        await self._back(interaction, await self._controlled(interaction))

    @app_commands.command(name="seek", description="Jump to a time in the track.")
    @app_commands.describe(position="Where to go, e.g. 1:23 or 83s")
    @app_commands.guild_only()
    async def seek(
        self, interaction: discord.Interaction[Any], position: app_commands.Range[str, 1, 16]
    ) -> None:
        player = await self._controlled(interaction)
        current = player.queue.current
        assert current is not None  # _player refuses an idle player
        target = seek_target(current, parse_position(position))
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await player.seek(target)
            await answer.send(f"⏩ Jumped to {format_clock(target)}.", allowed_mentions=QUIET)

    async def _shift(self, interaction: discord.Interaction[Any], seconds: float) -> None:
        player = await self._controlled(interaction)
        current = player.queue.current
        assert current is not None
        target = shifted_position(current, player.position, seconds)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await player.seek(target)
            arrow = "⏩" if seconds > 0 else "⏪"
            await answer.send(f"{arrow} Now at {format_clock(target)}.", allowed_mentions=QUIET)

    @app_commands.command(name="forward", description="Skip ahead in the track.")
    @app_commands.describe(seconds="How many seconds (10 unless you say)")
    @app_commands.guild_only()
    async def forward(
        self, interaction: discord.Interaction[Any], seconds: app_commands.Range[int, 1, 3600] = 10
    ) -> None:
        await self._shift(interaction, seconds)

    @app_commands.command(name="rewind", description="Go back in the track.")
    @app_commands.describe(seconds="How many seconds (10 unless you say)")
    @app_commands.guild_only()
    async def rewind(
        self, interaction: discord.Interaction[Any], seconds: app_commands.Range[int, 1, 3600] = 10
    ) -> None:
        await self._shift(interaction, -seconds)

    @app_commands.command(name="replay", description="Play the track from the start.")
    @app_commands.guild_only()
    async def replay(self, interaction: discord.Interaction[Any]) -> None:
        player = await self._controlled(interaction)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await player.seek(0.0)
            await answer.send("🔄 From the start.", allowed_mentions=QUIET)

    async def _change_settings(self, player: GuildPlayer, **changes: Any) -> None:
        settings = await self.store.update_settings(player.guild_id, **changes)
        await player.apply_settings(settings)
        await self.manager.refresh_controller(player)

    @app_commands.command(name="loop", description="Repeat the track, the queue, or nothing.")
    @app_commands.describe(mode="off, track or queue")
    @app_commands.guild_only()
    async def loop(self, interaction: discord.Interaction[Any], mode: LoopMode) -> None:
        player = await self._controlled(interaction)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await self._change_settings(player, loop=mode)
            await answer.send(f"🔁 Loop: {mode.value}.", allowed_mentions=QUIET)

    @app_commands.command(name="volume", description="Set the volume (100 is unchanged).")
    @app_commands.describe(percent="0 to 200")
    @app_commands.guild_only()
    async def volume(
        self, interaction: discord.Interaction[Any], percent: app_commands.Range[int, 0, MAX_VOLUME]
    ) -> None:
        player = await self._controlled(interaction)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await self._change_settings(player, volume=percent)
            await answer.send(f"🔊 Volume {percent}%.", allowed_mentions=QUIET)

    @app_commands.command(name="filter", description="Apply a sound effect (one at a time).")
    @app_commands.describe(effect="The effect; none removes it")
    @app_commands.choices(
        effect=[app_commands.Choice(name=EFFECTS[e].label, value=e.value) for e in Effect]
    )
    @app_commands.guild_only()
    async def filter(self, interaction: discord.Interaction[Any], effect: str) -> None:
        player = await self._controlled(interaction)
        chosen = Effect(effect)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await self._change_settings(player, effect=chosen)
            await answer.send(f"🎛️ {EFFECTS[chosen].label}.", allowed_mentions=QUIET)

    # -- editing the queue -------------------------------------------------------------------

    async def _edit(
        self,
        interaction: discord.Interaction[Any],
        change: Callable[[TrackQueue], object],
        text: str,
        check: Callable[[TrackQueue], None],
    ) -> None:
        player = await self._controlled(interaction)
        check(player.queue)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            result = await player.edit_queue(change)
            await answer.send(text.format(result=result), allowed_mentions=QUIET)
        await self.manager.refresh_controller(player)

    @app_commands.command(name="shuffle", description="Shuffle the queue.")
    @app_commands.guild_only()
    async def shuffle(self, interaction: discord.Interaction[Any]) -> None:
        await self._edit(interaction, TrackQueue.shuffle, "🔀 Shuffled.", TrackQueue.check_shuffle)

    @app_commands.command(name="remove", description="Remove a track from the queue.")
    @app_commands.describe(position="Its number in /queue")
    @app_commands.guild_only()
    async def remove(
        self, interaction: discord.Interaction[Any], position: app_commands.Range[int, 1, 10_000]
    ) -> None:
        player = self._player(interaction)
        member = member_of(interaction)

        def removed(queue: TrackQueue) -> Track:
            """Another member's track needs control: judged again under the player's lock,
            where the queue may have moved on since the member looked."""
            if not queue.requested_by(position, member.id):
                self._require_control(player, member)
            return queue.remove(position)

        if not player.queue.requested_by(position, member.id):
            self._require_control(player, member)
        player.queue.check_positions(position)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            track = await player.edit_queue(removed)
            await answer.send(f"🗑️ Removed {track_line(track)}.", allowed_mentions=QUIET)

    @app_commands.command(name="move", description="Move a track to another place in the queue.")
    @app_commands.describe(source="Its number now", target="Its new number")
    @app_commands.guild_only()
    async def move(
        self,
        interaction: discord.Interaction[Any],
        source: app_commands.Range[int, 1, 10_000],
        target: app_commands.Range[int, 1, 10_000],
    ) -> None:
        await self._edit(
            interaction,
            lambda q: q.move(source, target).display_title,
            f"↕️ Moved to #{target}.",
            lambda q: q.check_positions(source, target),
        )

    @app_commands.command(name="swap", description="Swap two tracks of the queue.")
    @app_commands.describe(first="One track's number", second="The other's")
    @app_commands.guild_only()
    async def swap(
        self,
        interaction: discord.Interaction[Any],
        first: app_commands.Range[int, 1, 10_000],
        second: app_commands.Range[int, 1, 10_000],
    ) -> None:
        await self._edit(
            interaction,
            lambda q: q.swap(first, second),
            f"🔃 Swapped #{first} and #{second}.",
            lambda q: q.check_positions(first, second),
        )

    @app_commands.command(name="clear", description="Empty the queue (the current track plays on).")
    @app_commands.guild_only()
    async def clear(self, interaction: discord.Interaction[Any]) -> None:
        await self._edit(interaction, TrackQueue.clear, "🧹 Removed {result} tracks.", _anything)

    @app_commands.command(name="dedupe", description="Remove tracks queued twice.")
    @app_commands.guild_only()
    async def dedupe(self, interaction: discord.Interaction[Any]) -> None:
        await self._edit(
            interaction, TrackQueue.dedupe, "🧹 Removed {result} duplicates.", _anything
        )

    @app_commands.command(name="leave", description="Stop the music and leave the voice channel.")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        player = self._player(interaction, idle=True)
        self._require_control(player, member_of(interaction))
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            await self.manager.leave(
                player.guild_id, reason=f"asked by {interaction.user.display_name}"
            )
            await answer.send("👋 Left the voice channel.", allowed_mentions=QUIET)

    # -- the server's settings ---------------------------------------------------------------

    @music.command(
        name="dj", description="Choose the DJ role (or none: everyone in voice controls)."
    )
    @app_commands.describe(role="The DJ role; leave empty to remove it")
    @app_commands.default_permissions(manage_guild=True)
    async def dj(
        self, interaction: discord.Interaction[Any], role: discord.Role | None = None
    ) -> None:
        member = member_of(interaction)
        if not member.guild_permissions.manage_guild:
            raise UserError("Only members with Manage Server choose the DJ role.")
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            settings = await self.store.update_settings(
                member.guild.id, dj_role_id=role.id if role else None
            )
            player = self.manager.players.get(member.guild.id)
            if player is not None:
                await player.apply_settings(settings)
            text = (
                f"🎧 DJ role: {role.mention}."
                if role
                else "🎧 No DJ role: everyone in voice controls."
            )
            await answer.send(text, allowed_mentions=QUIET)

    @music.command(name="stay", description="24/7 mode: stay in voice when alone or idle.")
    @app_commands.describe(enabled="On to stay, off to leave after a while")
    @app_commands.default_permissions(manage_guild=True)
    async def stay(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        member = member_of(interaction)
        if not member.guild_permissions.manage_guild:
            raise UserError("Only members with Manage Server switch 24/7 mode.")
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            settings = await self.store.update_settings(member.guild.id, always_on=enabled)
            player = self.manager.players.get(member.guild.id)
            if player is not None:
                await player.apply_settings(settings)
                self.manager.watch_listeners(player)
            await answer.send(
                "🌙 24/7 mode on." if enabled else "🌙 24/7 mode off.", allowed_mentions=QUIET
            )

    @music.command(name="autoplay", description="When the queue ends, play favourites again.")
    @app_commands.describe(enabled="On to pick from this server's listening history")
    async def autoplay(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        member = member_of(interaction)
        player = self.manager.players.get(member.guild.id)
        if player is not None:
            self._require_control(player, member)
        else:
            await self.require_dj_when_named(member)
        async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
            settings = await self.store.update_settings(member.guild.id, autoplay=enabled)
            if player is not None:
                await player.apply_settings(settings)
            await answer.send(
                "♾️ Autoplay on." if enabled else "♾️ Autoplay off.", allowed_mentions=QUIET
            )

    @music.command(name="stats", description="What this server listened to.")
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        stats = await self.store.stats(member.guild.id, member.id)
        if stats.plays == 0:
            raise UserError("Nothing has been played here yet — start with /play.")
        lines = [
            f"**{plural(stats.plays, 'play')}**, {stats.hours:.1f} hours of music.",
            f"You queued {stats.requested_by_member} of them."
            if stats.requested_by_member
            else "You have not queued any of them yet.",
            "**Most played**",
            *(
                f"`{rank}.` {truncate_string(title, 80)} — {plural(count, 'play')}"
                for rank, (title, count) in enumerate(stats.top_tracks, 1)
            ),
        ]
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=QUIET
        )

    # -- the controller's buttons ------------------------------------------------------------

    async def press_control(self, interaction: discord.Interaction[Any], action: str) -> None:
        """A button of the now-playing message."""
        try:
            player = self._player(interaction, idle=action == "leave")
            if action == "skip":
                await self._skip(interaction, player)
                return
            self._require_control(player, member_of(interaction))
            if action == "back":
                await self._back(interaction, player)
                return
            async with answer_in_time(interaction, PLAYER_CHANGE) as answer:
                await answer.send(await self._press(player, action), allowed_mentions=QUIET)
        except UserError as error:
            await refuse(interaction, error.message)

    async def _press(self, player: GuildPlayer, action: str) -> str:
        """The buttons that change no audio: pause or resume, the loop mode, stop."""
        if action == "toggle":
            await player.set_paused(not player.paused)
            await self.manager.refresh_controller(player)
            return "⏸️ Paused." if player.paused else "▶️ Resumed."
        if action == "loop":
            modes = list(LoopMode)
            following = modes[(modes.index(player.queue.loop) + 1) % len(modes)]
            await self._change_settings(player, loop=following)
            return f"🔁 Loop: {following.value}."
        await self.manager.leave(player.guild_id, reason="stopped from the controller")
        return "👋 Left the voice channel."
