"""``/playlist share`` end to end: a DJ copies their own playlist into the server's, a name the
server uses and a full set of server playlists are refused privately, and members who are not
DJs cannot share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from music_helpers import Room, command

from botfleet.bots.music.services.playlists import PlaylistScope, PlaylistStore
from botfleet.config.schema import Settings


@pytest.mark.usefixtures("real_time")
async def test_a_dj_shares_a_playlist_and_clashes_and_limits_are_refused_privately(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, _, alice = room
    djs = stage.guild.add_role("DJs")
    dee = stage.guild.add_member("dee", roles=[djs])
    settings = make_settings(library_path=str(library), max_saved_playlists=2)
    async with stage.running(settings) as bot:
        owner = stage.guild.owner
        assert "DJ role" in await command(owner, general, app, "music", subcommand="dj", role=djs)
        await command(alice, general, app, "play", query="long road")
        await command(alice, general, app, "play", query="first light")
        for name in ("Evening", "Morning"):
            assert f"Saved “{name}”" in await command(
                dee, general, app, "playlist", subcommand="save", name=name
            )

        async def share(member_name: str, **options: str) -> tuple[str, bool]:
            member = dee if member_name == "dee" else alice
            handle = await member.run_command(general, app, "playlist", options, subcommand="share")
            message = await handle.wait_for_message()
            return message.content, message.ephemeral

        refused, private = await share("alice", name="Evening")
        assert private and "Only DJs" in refused
        shared, private = await share("dee", name="evening")
        assert not private
        assert f"<@{dee.id}> shared “Evening” (2 tracks) with the server" in shared
        clash, private = await share("dee", name="Evening")
        assert private
        assert clash == (
            "A playlist “Evening” exists already; give the server's copy another name with as_name."
        )
        renamed, _ = await share("dee", name="Evening", as_name="Dee's Evening")
        assert "shared “Dee's Evening”" in renamed
        full, private = await share("dee", name="Morning")
        assert private
        assert full.startswith("This server's playlists are full (2 playlists); delete one first.")
        missing, private = await share("dee", name="Night")
        assert private and "no playlist “Night” in your playlists" in missing

        listed = await command(alice, general, app, "playlist", subcommand="list", server=True)
        assert listed.splitlines() == ["• Dee's Evening", "• Evening"]
        cog = bot.get_cog("MusicPlaylists")
        assert cog is not None
        store: PlaylistStore = cog.store  # type: ignore[attr-defined]
        copy = await store.get(PlaylistScope.server(stage.guild.id), "evening")
        assert copy.created_by == dee.id
        assert [t.title for t in copy.tracks] == ["Long Road", "First Light"]
        assert "Deleted “Evening”" in await command(
            dee, general, app, "playlist", subcommand="delete", name="Evening"
        )
        assert (await store.get(PlaylistScope.server(stage.guild.id), "evening")).tracks
        assert "Queued “Evening” (2 tracks)" in await command(
            alice, general, app, "playlist", subcommand="load", name="evening", server=True
        )
