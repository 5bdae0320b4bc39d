"""``/playlist``: save the queue, load, list, rename, delete, share, export and import playlists.

A member's playlists follow them to every server; a server's shared ones are managed by its
DJs (or Manage Server).
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.bots.music.commands.player import QUIET, is_dj, member_of
from botfleet.bots.music.players import PlayerManager
from botfleet.bots.music.services.playlists import (
    MAX_IMPORT_BYTES,
    MAX_NAME_LENGTH,
    PlaylistScope,
    PlaylistStore,
    export_playlist,
)
from botfleet.core.answers import answer_in_time
from botfleet.errors import UserError
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

NameOption = app_commands.Range[str, 1, MAX_NAME_LENGTH]


class PlaylistCommands(commands.Cog, name="MusicPlaylists"):
    """Saved playlists of members and servers."""

    playlist = app_commands.Group(
        name="playlist", description="Your playlists and this server's.", guild_only=True
    )

    def __init__(self, bot: FleetBot, manager: PlayerManager, store: PlaylistStore) -> None:
        self.bot = bot
        self.manager = manager
        self.store = store

    async def _scope(
        self, interaction: discord.Interaction[Any], server: bool, *, editing: bool
    ) -> PlaylistScope:
        member = member_of(interaction)
        if not server:
            return PlaylistScope.member(member.id)
        if editing:
            settings = await self.manager.store.settings(member.guild.id)
            if not is_dj(member, settings):
                raise UserError("Only DJs (or Manage Server) change this server's playlists.")
        return PlaylistScope.server(member.guild.id)

    @playlist.command(
        name="save", description="Save the queue (with the current track) as a playlist."
    )
    @app_commands.describe(name="The playlist's name", server="Save it for the whole server")
    async def save(
        self, interaction: discord.Interaction[Any], name: NameOption, server: bool = False
    ) -> None:
        scope = await self._scope(interaction, server, editing=True)
        player = self.manager.players.get(interaction.guild_id or 0)
        tracks = []
        if player is not None:
            tracks = [t for t in (player.queue.current, *player.queue.upcoming) if t is not None]
        saved = await self.store.save(scope, name, tracks, created_by=interaction.user.id)
        await interaction.response.send_message(
            f"💾 Saved “{saved.name}” ({plural(len(saved.tracks), 'track')}).",
            ephemeral=not server,
            allowed_mentions=QUIET,
        )

    @playlist.command(name="load", description="Queue a saved playlist.")
    @app_commands.describe(name="The playlist's name", server="One of this server's playlists")
    async def load(
        self, interaction: discord.Interaction[Any], name: NameOption, server: bool = False
    ) -> None:
        member = member_of(interaction)
        scope = await self._scope(interaction, server, editing=False)
        # Joining voice and starting the first track (FFmpeg, maybe a web page's stream looked
        # up) can outlast Discord's 3 seconds; as with /play, the answer is private and the
        # public controller message shows what plays.
        async with answer_in_time(interaction, "playlist", ephemeral=True) as answer:
            playlist = await self.store.get(scope, name)
            tracks = [track.requested_by(member.id) for track in playlist.tracks]
            premium = await self.bot.premium.covers(member.id, member.guild.id)
            await self.manager.enqueue_for(member, interaction.channel_id, tracks, premium=premium)
            await self.manager.count_queued(member.guild.id, member.id, len(tracks))
            await answer.send(
                f"📜 Queued “{playlist.name}” ({plural(len(tracks), 'track')}).",
                allowed_mentions=QUIET,
            )

    @playlist.command(name="list", description="List saved playlists.")
    @app_commands.describe(server="This server's playlists instead of yours")
    async def list(self, interaction: discord.Interaction[Any], server: bool = False) -> None:
        scope = await self._scope(interaction, server, editing=False)
        names = await self.store.names(scope)
        text = "\n".join(f"• {truncate_string(n, MAX_NAME_LENGTH)}" for n in names)
        await interaction.response.send_message(
            text or f"No playlists in {scope.label} playlists yet — /playlist save makes one.",
            ephemeral=True,
            allowed_mentions=QUIET,
        )

    @playlist.command(name="rename", description="Rename a saved playlist.")
    @app_commands.describe(name="Its name now", new_name="Its new name", server="A server playlist")
    async def rename(
        self,
        interaction: discord.Interaction[Any],
        name: NameOption,
        new_name: NameOption,
        server: bool = False,
    ) -> None:
        scope = await self._scope(interaction, server, editing=True)
        shown = await self.store.rename(scope, name, new_name)
        await interaction.response.send_message(
            f"✏️ Renamed to “{shown}”.", ephemeral=not server, allowed_mentions=QUIET
        )

    @playlist.command(name="delete", description="Delete a saved playlist.")
    @app_commands.describe(name="The playlist's name", server="A server playlist")
    async def delete(
        self, interaction: discord.Interaction[Any], name: NameOption, server: bool = False
    ) -> None:
        scope = await self._scope(interaction, server, editing=True)
        deleted = await self.store.delete(scope, name)
        await interaction.response.send_message(
            f"🗑️ Deleted “{deleted}”.", ephemeral=not server, allowed_mentions=QUIET
        )

    @playlist.command(name="share", description="Copy one of your playlists to this server's.")
    @app_commands.describe(name="Your playlist's name", as_name="A name for the server's copy")
    async def share(
        self,
        interaction: discord.Interaction[Any],
        name: NameOption,
        as_name: NameOption | None = None,
    ) -> None:
        member = member_of(interaction)
        await self._scope(interaction, True, editing=True)
        shared = await self.store.share(member.id, member.guild.id, name, as_name=as_name)
        log.info("Guild %s: %s shared playlist %r", member.guild.id, member.id, shared.name)
        await interaction.response.send_message(
            f"📢 {member.mention} shared “{shared.name}” ({plural(len(shared.tracks), 'track')})"
            " with the server: /playlist load server:True plays it.",
            allowed_mentions=QUIET,
        )

    @playlist.command(name="export", description="Download a saved playlist as a file.")
    @app_commands.describe(name="The playlist's name", server="A server playlist")
    async def export(
        self, interaction: discord.Interaction[Any], name: NameOption, server: bool = False
    ) -> None:
        scope = await self._scope(interaction, server, editing=False)
        playlist = await self.store.get(scope, name)
        data = export_playlist(playlist)
        file = discord.File(io.BytesIO(data), filename=f"{playlist.name}.json")
        await interaction.response.send_message(
            f"📤 “{playlist.name}”", file=file, ephemeral=True, allowed_mentions=QUIET
        )

    @playlist.command(name="import", description="Save a playlist from an exported file.")
    @app_commands.describe(
        file="A file made by /playlist export", name="Another name for it", server="For the server"
    )
    async def import_(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        name: NameOption | None = None,
        server: bool = False,
    ) -> None:
        scope = await self._scope(interaction, server, editing=True)
        if file.size > MAX_IMPORT_BYTES:
            raise UserError(f"That file is larger than {MAX_IMPORT_BYTES // 1024} KiB.")
        async with answer_in_time(interaction, "playlist import", ephemeral=True) as answer:
            data = await file.read()
            try:
                saved = await self.store.import_file(
                    scope, data, created_by=interaction.user.id, name=name
                )
            except UserError as error:
                log.info(
                    "A playlist import by %s was refused: %s", interaction.user.id, error.message
                )
                await answer.send(error.message)
                return
            await answer.send(
                f"📥 Imported “{saved.name}” ({plural(len(saved.tracks), 'track')}).",
                allowed_mentions=QUIET,
            )
