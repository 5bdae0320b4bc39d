"""Every guild's player, with what surrounds them: joining, saving, the controller, leaving.

One :class:`GuildPlayer` per guild, made when a member first plays something and dropped when
the bot leaves. Queue changes are saved at once and positions every few seconds, so a restart
(or a crash) loses at most that much; on start the stored players rejoin and resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

import aiohttp
import discord

from botfleet.bots.music.player import (
    GuildPlayer,
    PlayerHooks,
    current_backend,
    ffmpeg_source_factory,
)
from botfleet.bots.music.services.icy import follow_icy_titles
from botfleet.bots.music.services.store import MusicStore, SavedPlayer
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.bots.music.views.controller import controller_view, player_embed
from botfleet.core.voiceless import load_voice_libraries
from botfleet.errors import UserError
from botfleet.utils.tasks import cancel_and_wait
from botfleet.utils.text import truncate_string

if TYPE_CHECKING:
    from botfleet.bots.music.config import MusicOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

POSITION_SAVE_SECONDS: Final = 5.0
MIN_LISTEN_SECONDS: Final = 0.5
"""Shorter plays (a track skipped at once) stay out of the listening history."""
XP_PER_MINUTE: Final = 1
BOT_NAME: Final = "music"
CONNECT_TIMEOUT: Final = 30.0


async def join(
    channel: discord.VoiceChannel | discord.StageChannel, client_class: type[discord.VoiceProtocol]
) -> discord.VoiceProtocol:
    """Connect to ``channel``; the process's first join loads discord.py's voice libraries
    (imports, in a thread), left out until then (issue 16). Without them installed, the member
    is told and the operator's log says what to install."""
    try:
        await asyncio.to_thread(load_voice_libraries)
    except ImportError as missing:
        log.error("no voice: %s; install the music extra (`botfleet doctor` checks it)", missing)
        raise UserError("Voice is not set up on this bot yet; its operator can see why.") from None
    return await channel.connect(cls=client_class, timeout=CONNECT_TIMEOUT, self_deaf=True)


class PlayerManager:
    """The players of one bot process."""

    def __init__(
        self,
        bot: FleetBot[MusicOptions],
        store: MusicStore,
        session: aiohttp.ClientSession,
        *,
        locate: Callable[[Track], Awaitable[Track]] | None = None,
        ffmpeg: str | None = None,
    ) -> None:
        self.bot = bot
        self.ffmpeg = ffmpeg or bot.options.ffmpeg_executable
        """The FFmpeg the players run (the configured one, or imageio-ffmpeg's binary)."""
        self.session = session
        self.locate = locate
        self._title_followers: dict[int, asyncio.Task[None]] = {}
        self.options = bot.options
        self.store = store
        self.players: dict[int, GuildPlayer] = {}
        self._leave_timers: dict[int, asyncio.Task[None]] = {}
        self._enqueueing: Counter[int] = Counter()
        """Tracks being queued per guild now (a refused one leaves only if it is alone)."""
        self._saver: asyncio.Task[None] | None = None
        self._closing = False
        self.hooks = PlayerHooks(
            queue_changed=self._save,
            track_started=self._track_started,
            queue_ended=self._queue_ended,
            track_failed=self._track_failed,
            track_heard=self._track_heard,
        )
        self._autoplaying: set[asyncio.Task[None]] = set()

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin saving positions."""
        self._saver = asyncio.create_task(self._save_positions(), name="music-position-saver")

    async def close(self) -> None:
        """Save every player where it is and stop them, keeping them for the next start."""
        self._closing = True
        await cancel_and_wait(self._saver)
        for task in (*self._leave_timers.values(), *self._title_followers.values()):
            task.cancel()
        for player in list(self.players.values()):
            try:
                snapshot = player.snapshot()
                await player.stop()
                if player.connected:
                    await self.store.save_player(snapshot)
                    await player.voice_client.disconnect(force=True)
            except Exception:
                log.exception("Saving the player of guild %s at shutdown failed", player.guild_id)
        self.players.clear()

    async def _save_positions(self) -> None:
        while True:
            await asyncio.sleep(POSITION_SAVE_SECONDS)
            for player in list(self.players.values()):
                if player.is_active:
                    try:
                        await self.store.save_position(
                            player.guild_id, player.position, paused=player.paused
                        )
                    except Exception:
                        log.exception("Saving the position of guild %s failed", player.guild_id)

    async def restore(self) -> None:
        """Bring back the players stored before the last stop."""
        for saved in await self.store.saved_players():
            try:
                await self._restore_one(saved)
            except Exception:
                log.exception("Restoring the player of guild %s failed", saved.guild_id)
                await self.store.forget_player(saved.guild_id)

    async def _restore_one(self, saved: SavedPlayer) -> None:
        guild = self.bot.get_guild(saved.guild_id)
        channel = guild.get_channel(saved.voice_channel_id) if guild else None
        if guild is None or not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            log.info("The player of guild %s has no channel to return to", saved.guild_id)
            await self.store.forget_player(saved.guild_id)
            return
        player = await self._create(guild, channel, saved.text_channel_id)
        player.restore(saved)
        log.info(
            "Guild %s: resuming %r at %.1fs (%d tracks queued)",
            guild.id,
            saved.current.title if saved.current else None,
            saved.position,
            len(saved.upcoming),
        )
        if saved.current is not None:
            await player.resume_saved()
        self.watch_listeners(player)

    # -- players -------------------------------------------------------------------------------

    async def _create(
        self,
        guild: discord.Guild,
        channel: discord.VoiceChannel | discord.StageChannel,
        text_channel_id: int | None,
    ) -> GuildPlayer:
        backend = current_backend()
        settings = await self.store.settings(guild.id)
        player = GuildPlayer(
            guild_id=guild.id,
            settings=settings,
            limits=self.options.queue_limits,
            source_factory=backend.source_factory or ffmpeg_source_factory(self.ffmpeg),
            hooks=self.hooks,
            vote_ratio=self.options.vote_skip_ratio,
            locate=self.locate,
            text_channel_id=text_channel_id,
        )
        voice = guild.voice_client
        if voice is None:
            try:
                voice = await join(channel, backend.voice_client_class)
            except (TimeoutError, discord.ClientException) as error:
                log.warning("Guild %s: joining %s failed: %s", guild.id, channel.id, error)
                raise UserError("I could not join your voice channel; try again.") from None
        player.voice = voice
        self.players[guild.id] = player
        return player

    def voice_channel_for(
        self, member: discord.Member
    ) -> discord.VoiceChannel | discord.StageChannel:
        """The channel to play in for ``member``: theirs, and the bot's if it plays already.

        Checked before a link is looked up, so a member who cannot be played to is told at once.
        """
        voice_state = member.voice
        if voice_state is None or voice_state.channel is None:
            raise UserError("Join a voice channel first, then ask me to play.")
        player = self.players.get(member.guild.id)
        if player is not None and player.connected:
            bot_channel = getattr(player.voice, "channel", None)
            if bot_channel is not None and bot_channel.id != voice_state.channel.id:
                raise UserError(f"I am playing in <#{bot_channel.id}>; join it to add music.")
        return voice_state.channel

    async def player_for(self, member: discord.Member, text_channel_id: int | None) -> GuildPlayer:
        """The guild's player, joining the member's voice channel when there is none."""
        channel = self.voice_channel_for(member)
        player = self.players.get(member.guild.id)
        if player is not None and player.connected:
            return player
        player = await self._create(member.guild, channel, text_channel_id)
        self.watch_listeners(player)
        return player

    async def enqueue_for(
        self,
        member: discord.Member,
        text_channel_id: int | None,
        tracks: list[Track],
        *,
        play_next: bool = False,
        premium: bool = False,
    ) -> int:
        """Queue ``tracks`` in the member's channel (joining it); returns the first's position.

        A player that joined for these tracks and was refused them (too long, the member's
        share full) leaves again at once, instead of sitting silent in the channel.
        """
        guild_id = member.guild.id
        joined = guild_id not in self.players
        self._enqueueing[guild_id] += 1
        try:
            player = await self.player_for(member, text_channel_id)
            return await player.enqueue(tracks, play_next=play_next, premium=premium)
        except UserError:
            # Another member's tracks may be on their way to the same new player.
            alone = self._enqueueing[guild_id] == 1
            player_now = self.players.get(guild_id)
            if joined and alone and player_now is not None and player_now.queue.current is None:
                await self.leave(guild_id, reason="nothing it was asked for could play")
            raise
        finally:
            self._enqueueing[guild_id] -= 1
            if not self._enqueueing[guild_id]:
                del self._enqueueing[guild_id]

    def listener_ids(self, player: GuildPlayer) -> set[int]:
        """Members (not bots) in the player's voice channel.

        Read from the channel's voice states, which the bot gets without the members intent;
        a member missing from the cache is counted (only bots that are cached can be told).
        """
        channel = getattr(player.voice, "channel", None)
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return set()
        return {user_id for user_id in channel.voice_states if self._is_listener(channel, user_id)}

    def _is_listener(
        self, channel: discord.VoiceChannel | discord.StageChannel, user_id: int
    ) -> bool:
        """A member in the channel who is neither this bot nor (as far as known) another bot."""
        own_id = self.bot.user.id if self.bot.user else 0
        return user_id != own_id and not getattr(channel.guild.get_member(user_id), "bot", False)

    async def leave(self, guild_id: int, *, reason: str) -> None:
        """Stop, disconnect and forget the guild's player."""
        self._cancel_leave_timer(guild_id)
        self._stop_following_titles(guild_id)
        player = self.players.pop(guild_id, None)
        if player is None:
            return
        log.info("Guild %s: leaving voice (%s)", guild_id, reason)
        await player.stop()
        if player.voice is not None:
            await player.voice_client.disconnect(force=True)
        await self.store.forget_player(guild_id)
        await self._show_controller(player, ended=reason)

    async def rejoin(self, player: GuildPlayer, channel: discord.VoiceChannel) -> None:
        """The bot was disconnected (a dropped connection, a moderator): if members still
        listen there, join again and resume where the track was; otherwise leave."""
        if self._closing or self.players.get(player.guild_id) is not player:
            return
        if not any(self._is_listener(channel, user_id) for user_id in channel.voice_states):
            await self.leave(player.guild_id, reason="disconnected from voice")
            return
        await player.stop()
        old = player.voice
        if old is not None:
            await old.disconnect(force=True)
        log.info("Guild %s: disconnected from voice; rejoining %s", player.guild_id, channel.id)
        try:
            player.voice = await join(channel, current_backend().voice_client_class)
        except (TimeoutError, discord.ClientException, UserError) as error:
            log.warning("Guild %s: rejoining failed: %s", player.guild_id, error)
            await self.leave(player.guild_id, reason="could not rejoin voice")
            return
        await player.resume_saved()

    async def moved(self, player: GuildPlayer) -> None:
        """The bot was moved to another channel: its listeners are the new channel's."""
        self.watch_listeners(player)
        await self._save(player)

    # -- leaving when alone or idle ------------------------------------------------------------

    def _cancel_leave_timer(self, guild_id: int) -> None:
        timer = self._leave_timers.pop(guild_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def _leave_later(self, player: GuildPlayer, seconds: float, reason: str) -> None:
        self._cancel_leave_timer(player.guild_id)
        if player.settings.always_on or self._closing:
            return

        async def leave_when_due() -> None:
            await asyncio.sleep(seconds)
            if not player.settings.always_on:  # 24/7 mode switched on meanwhile
                await self.leave(player.guild_id, reason=reason)

        self._leave_timers[player.guild_id] = asyncio.create_task(leave_when_due())

    def watch_listeners(self, player: GuildPlayer) -> None:
        """Start or stop the "alone" countdown from who is in the channel now."""
        if self.listener_ids(player):
            if player.is_active:
                self._cancel_leave_timer(player.guild_id)
        else:
            self._leave_later(player, self.options.alone_timeout, "alone in the channel")

    def keep(self, player: GuildPlayer) -> None:
        """Something was queued: no idle countdown."""
        self._cancel_leave_timer(player.guild_id)

    # -- hooks ---------------------------------------------------------------------------------

    async def _save(self, player: GuildPlayer) -> None:
        if self._closing or not player.connected:
            return
        try:
            await self.store.save_player(player.snapshot())
        except Exception:
            log.exception("Saving the player of guild %s failed", player.guild_id)

    async def _track_started(self, player: GuildPlayer) -> None:
        self.keep(player)
        self._follow_titles(player)
        await self._save(player)
        await self._show_controller(player)

    # -- radio titles --------------------------------------------------------------------------

    def _stop_following_titles(self, guild_id: int) -> None:
        follower = self._title_followers.pop(guild_id, None)
        if follower is not None:
            follower.cancel()

    def _follow_titles(self, player: GuildPlayer) -> None:
        """Show a radio's ICY titles while it plays."""
        self._stop_following_titles(player.guild_id)
        track = player.queue.current
        if track is None or track.kind is not SourceKind.STREAM:
            return

        async def show(title: str) -> None:
            if player.queue.current is track:
                player.stream_title = title
                await self._show_controller(player)

        async def follow() -> None:
            try:
                await follow_icy_titles(
                    self.session,
                    track.location,
                    show,
                    allow_private=self.options.allow_private_addresses,
                )
            except (aiohttp.ClientError, TimeoutError) as error:
                log.info("Guild %s: the radio's titles stopped: %s", player.guild_id, error)

        self._title_followers[player.guild_id] = asyncio.create_task(
            follow(), name=f"music-icy-{player.guild_id}"
        )

    async def _queue_ended(self, player: GuildPlayer) -> None:
        if player.settings.autoplay and not self._closing:
            # The player's lock is held while its hooks run: queue from a task of its own.
            task = asyncio.create_task(self._autoplay(player), name="music-autoplay")
            self._autoplaying.add(task)
            task.add_done_callback(self._autoplaying.discard)
            return
        await self._show_controller(player)
        self._leave_later(player, self.options.idle_timeout, "nothing to play")

    async def _autoplay(self, player: GuildPlayer) -> None:
        """Queue the guild's most played track other than the one that just ended."""
        recent = {player.queue.history[-1].identity} if player.queue.history else set()
        track = await self.store.autoplay_track(player.guild_id, avoid=recent)
        if track is None or self.players.get(player.guild_id) is not player:
            await self._show_controller(player)
            self._leave_later(player, self.options.idle_timeout, "nothing to play")
            return
        log.info("Guild %s: autoplay picks %r", player.guild_id, track.title)
        await player.enqueue([track])

    async def _track_heard(self, player: GuildPlayer, track: Track, seconds: float) -> None:
        """Add the play to the history; listeners earn XP by the minute."""
        if seconds < MIN_LISTEN_SECONDS:
            return
        listeners = self.listener_ids(player)
        try:
            await self.store.record_listen(
                player.guild_id, track, seconds=seconds, listeners=len(listeners)
            )
        except Exception:
            log.exception("Recording a play in guild %s failed", player.guild_id)
        if self._closing:
            return  # the fleet's XP buffer is already saved and stopped
        for member_id in listeners:
            await self.bot.gamification.xp.award_xp(
                member_id,
                XP_PER_MINUTE * int(seconds // 60),
                "listening to music",
                guild_id=player.guild_id,
                bot_name=BOT_NAME,
                counters={"music:seconds_listened": int(seconds)},
            )

    async def count_queued(self, guild_id: int, member_id: int, tracks: int) -> None:
        """Tracks a member queued count towards their achievements."""
        await self.bot.gamification.xp.award_xp(
            member_id,
            0,
            "queued music",
            guild_id=guild_id,
            bot_name=BOT_NAME,
            counters={"music:tracks_queued": tracks},
        )

    async def _track_failed(self, player: GuildPlayer, track: Track, error: Exception) -> None:
        channel = self._text_channel(player)
        if channel is not None:
            with contextlib.suppress(discord.HTTPException):
                why = f" ({error.message})" if isinstance(error, UserError) else ""
                await channel.send(
                    f"⚠️ I could not play **{truncate_string(track.display_title, 100)}**"
                    f"{why}; skipping it.",
                    allowed_mentions=discord.AllowedMentions.none(),
                )

    # -- the controller message ----------------------------------------------------------------

    def _text_channel(self, player: GuildPlayer) -> discord.abc.Messageable | None:
        if player.text_channel_id is None:
            return None
        channel = self.bot.get_channel(player.text_channel_id)
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def refresh_controller(self, player: GuildPlayer) -> None:
        """Redraw the controller after a change a member made."""
        await self._show_controller(player)

    async def _show_controller(self, player: GuildPlayer, *, ended: str | None = None) -> None:
        """Edit the controller message, or post it when there is none (or it was deleted)."""
        channel = self._text_channel(player)
        if channel is None or self._closing:
            return
        embed = player_embed(player, self.bot.settings.colors.primary)
        if ended is not None:
            embed.set_footer(text=f"Left the voice channel: {ended}.")
        view = controller_view(active=ended is None)
        try:
            if player.controller_message_id is not None:
                message = channel.get_partial_message(player.controller_message_id)  # type: ignore[attr-defined]
                await message.edit(embed=embed, view=view)
                return
        except discord.NotFound:
            player.controller_message_id = None
        except discord.HTTPException as error:
            log.info("Guild %s: the controller could not be edited: %s", player.guild_id, error)
            return
        if ended is not None:
            return
        try:
            message = await channel.send(
                embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as error:
            log.info("Guild %s: the controller could not be posted: %s", player.guild_id, error)
            return
        player.controller_message_id = message.id
        await self._save(player)
