"""Settings, players restored after a restart, and playlists, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from music_helpers import AudioFactory
from sqlalchemy import update

from botfleet.bots.music.services.ffmpeg import Effect
from botfleet.bots.music.services.playlists import (
    EXPORT_FORMAT,
    PlaylistScope,
    PlaylistStore,
    delete_user_data,
    export_playlist,
    parse_export,
)
from botfleet.bots.music.services.queue import LoopMode
from botfleet.bots.music.services.store import MusicStore, SavedPlayer
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.database import Database
from botfleet.database.models.music import MusicPlayerState
from botfleet.errors import UserError
from botfleet.services.premium.perks import Allowance

GUILD = 111_111_111_111_111_111
ALICE = 1_234_567_890_123_456_789
SONG = Track(
    title="Song",
    location="/lib/song.ogg",
    kind=SourceKind.FILE,
    duration=90,
    requester_id=ALICE,
    codec="opus",
)
LINK = Track(title="Link", location="https://example.com/a.mp3", kind=SourceKind.HTTP)


async def test_settings_default_then_change(database: Database) -> None:
    store = MusicStore(database, default_volume=80)
    assert (await store.settings(GUILD)).volume == 80
    await store.update_settings(GUILD, effect=Effect.NIGHTCORE, loop=LoopMode.QUEUE)
    changed = await store.update_settings(GUILD, always_on=True, dj_role_id=5)
    assert changed == await store.settings(GUILD)
    assert (
        changed.volume,
        changed.effect,
        changed.loop,
        changed.always_on,
        changed.dj_role_id,
    ) == (80, Effect.NIGHTCORE, LoopMode.QUEUE, True, 5)


async def test_a_saved_player_comes_back_with_its_position(database: Database) -> None:
    store = MusicStore(database)
    player = SavedPlayer(
        guild_id=GUILD,
        voice_channel_id=2,
        text_channel_id=3,
        current=SONG,
        upcoming=(LINK,),
        history=(LINK,),
        controller_message_id=4,
    )
    await store.save_player(player)
    await store.save_position(GUILD, 42.5, paused=True)
    [restored] = await store.saved_players()
    assert restored == SavedPlayer(
        guild_id=GUILD,
        voice_channel_id=2,
        text_channel_id=3,
        current=SONG,
        upcoming=(LINK,),
        history=(LINK,),
        position=42.5,
        paused=True,
        controller_message_id=4,
    )
    await store.forget_player(GUILD)
    assert await store.saved_players() == []


async def test_unreadable_stored_tracks_are_left_out(database: Database) -> None:
    store = MusicStore(database)
    await store.save_player(SavedPlayer(GUILD, 2, None, current=SONG, upcoming=(LINK,)))
    async with database.session() as session:
        await session.execute(
            update(MusicPlayerState).values(upcoming=[{"title": "x"}, LINK.to_json()])
        )
        await session.commit()
    [restored] = await store.saved_players()
    assert (restored.upcoming, restored.dropped) == ((LINK,), 1)


def playlists(
    database: Database, *, allowed: bool = True, library: str = SONG.location
) -> PlaylistStore:
    async def check_link(link: str) -> None:
        if not allowed:
            raise UserError("That link points to a private network address; it is not played.")

    return PlaylistStore(
        database,
        max_playlists=Allowance(2, 2),
        library_locations=lambda: {library},
        check_link=check_link,
    )


async def test_playlists_save_list_rename_delete(database: Database) -> None:
    store = playlists(database)
    mine = PlaylistScope.member(ALICE)
    saved = await store.save(mine, "  Road   Trip ", [SONG, LINK], created_by=ALICE)
    assert saved.name == "Road Trip"
    assert saved.tracks[0].requester_id == 0
    with pytest.raises(UserError, match="exists already"):
        await store.save(mine, "road trip", [SONG], created_by=ALICE)
    await store.save(PlaylistScope.server(GUILD), "Road Trip", [SONG], created_by=ALICE)
    await store.save(mine, "Chill", [SONG], created_by=ALICE)
    with pytest.raises(UserError, match="full"):
        await store.save(mine, "Third", [SONG], created_by=ALICE)
    assert await store.names(mine) == ["Chill", "Road Trip"]
    assert await store.rename(mine, "ROAD TRIP", "Drive") == "Drive"
    with pytest.raises(UserError, match="exists already"):
        await store.rename(mine, "Drive", "chill")
    assert [t.title for t in (await store.get(mine, "drive")).tracks] == ["Song", "Link"]
    assert await store.delete(mine, "chill") == "Chill"
    with pytest.raises(UserError, match="no playlist “Chill” in your playlists"):
        await store.get(mine, "Chill")
    with pytest.raises(UserError, match="nothing to save"):
        await store.save(mine, "Empty", [], created_by=ALICE)
    async with database.session() as session:
        assert await delete_user_data(session, ALICE) == 2  # one own list, one server list's author
        await session.commit()
    assert await store.names(mine) == []
    assert (await store.get(PlaylistScope.server(GUILD), "road trip")).created_by == 0


async def test_sharing_copies_a_members_playlist_into_the_servers(database: Database) -> None:
    store = playlists(database)
    mine, server = PlaylistScope.member(ALICE), PlaylistScope.server(GUILD)
    await store.save(mine, "Road Trip", [SONG, LINK], created_by=ALICE)
    await store.save(mine, "Chill", [SONG], created_by=ALICE)
    shared = await store.share(ALICE, GUILD, "road trip")
    assert (shared.name, shared.created_by) == ("Road Trip", ALICE)
    assert [t.title for t in shared.tracks] == ["Song", "Link"]
    with pytest.raises(UserError, match="another name with as_name"):
        await store.share(ALICE, GUILD, "Road Trip")
    assert (await store.share(ALICE, GUILD, "Road Trip", as_name=" Alice's  trip")).name == (
        "Alice's trip"
    )
    with pytest.raises(UserError, match="This server's playlists are full"):
        await store.share(ALICE, GUILD, "Chill")
    with pytest.raises(UserError, match="no playlist “Gone” in your playlists"):
        await store.share(ALICE, GUILD, "Gone")
    await store.delete(mine, "Road Trip")
    copy = await store.get(server, "road trip")
    assert (copy.created_by, len(copy.tracks)) == (ALICE, 2)
    assert await store.names(server) == ["Alice's trip", "Road Trip"]


async def test_export_and_import_round_trip_and_refuse_foreign_tracks(
    database: Database, make_audio: AudioFactory
) -> None:
    song = replace(SONG, location=str(make_audio("song.ogg", seconds=1.0)), duration=1.0)
    page = Track(
        title="Page",
        location="https://media.example.com/a.webm",
        kind=SourceKind.WEB,
        page_url="https://example.com/watch",
    )
    store = playlists(database, library=song.location)
    mine = PlaylistScope.member(ALICE)
    exported = export_playlist(await store.save(mine, "Mix", [song, page], created_by=ALICE))
    imported = await store.import_file(mine, exported, created_by=ALICE, name="Mix 2")
    assert [t.location for t in imported.tracks] == [song.location, page.location]
    document = json.loads(exported)
    document["tracks"].append({"title": "pw", "location": "/etc/passwd", "kind": "file"})
    with pytest.raises(UserError, match="not in this bot's library"):
        await store.import_file(mine, json.dumps(document).encode(), created_by=ALICE, name="X")
    with pytest.raises(UserError, match="private network"):
        await playlists(database, allowed=False, library=song.location).import_file(
            mine, exported, created_by=ALICE, name="Y"
        )
    assert await store.names(mine) == ["Mix", "Mix 2"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a playlist exported"),
        (b'{"format": "botfleet-music-playlist", "name": "x", "tracks": []}', "no tracks"),
        (
            b'{"format": "botfleet-music-playlist", "name": "", "tracks": [{"title": "t"}]}',
            "Give the playlist a name",
        ),
        (b" " * (600 * 1024), "larger than"),
    ],
)
def test_import_refuses_malformed_files(data: bytes, reason: str) -> None:
    with pytest.raises(UserError, match=reason):
        parse_export(data)


async def test_the_listening_history_counts_plays_and_picks_autoplay(database: Database) -> None:
    store = MusicStore(database)
    other = Track(title="Other", location="/lib/other.ogg", kind=SourceKind.FILE)
    for track, seconds in ((SONG, 90.0), (other, 30.0), (SONG, 45.0)):
        await store.record_listen(GUILD, track, seconds=seconds, listeners=2)
    await store.record_listen(GUILD + 1, other, seconds=10.0, listeners=1)
    stats = await store.stats(GUILD, ALICE)
    assert (stats.plays, stats.requested_by_member) == (3, 2)
    assert stats.hours == pytest.approx(165 / 3600)
    assert stats.top_tracks == (("Song", 2), ("Other", 1))
    picked = await store.autoplay_track(GUILD, avoid=set())
    assert picked is not None and (picked.title, picked.requester_id) == ("Song", 0)
    assert await store.autoplay_track(GUILD, avoid={SONG.identity}) == other
    assert await store.autoplay_track(GUILD, avoid={SONG.identity, other.identity}) is None
    async with database.session() as session:
        assert await delete_user_data(session, ALICE) == 2
        await session.commit()
    assert (await store.stats(GUILD, ALICE)).requested_by_member == 0


async def test_an_imported_track_is_checked_where_ffmpeg_would_open_it(database: Database) -> None:
    async def refuse_loopback(link: str) -> None:
        if "127.0.0.1" in link:
            raise UserError("That link points to a private network address; it is not played.")

    store = PlaylistStore(
        database, max_playlists=Allowance(2, 2), library_locations=set, check_link=refuse_loopback
    )
    mine = PlaylistScope.member(ALICE)
    smuggled = {
        "title": "Radio",
        "location": "http://127.0.0.1:6379/",
        "kind": "stream",
        "page_url": "https://radio.example.org/listen",
    }
    document = {"format": EXPORT_FORMAT, "name": "Sneaky", "tracks": [smuggled]}
    with pytest.raises(UserError, match="private network"):
        await store.import_file(mine, json.dumps(document).encode(), created_by=ALICE)
    # Without a way to follow its redirects safely, no link is handed to ffprobe at all.
    document["tracks"] = [LINK.to_json()]
    with pytest.raises(UserError, match="“Link” cannot be played: links of imported playlists"):
        await store.import_file(mine, json.dumps(document).encode(), created_by=ALICE)
    assert await store.names(mine) == []


async def test_an_imported_file_cannot_lie_about_kind_length_or_codec(
    database: Database, make_audio: AudioFactory
) -> None:
    path = make_audio("long.mp3", seconds=3.0)
    store = playlists(database, library=str(path))
    mine = PlaylistScope.member(ALICE)
    lies = [
        {"title": "Short", "location": str(path), "kind": "file", "duration": None},
        {"title": "Opus", "location": str(path), "kind": "file", "codec": "opus"},
        {
            "title": "Web",
            "location": "https://m.example/a",
            "kind": "web",
            "page_url": "https://e.x/p",
            "codec": "opus",
        },
    ]
    document = {"format": EXPORT_FORMAT, "name": "Lies", "tracks": lies}
    saved = await store.import_file(mine, json.dumps(document).encode(), created_by=ALICE)
    short, opus, web = saved.tracks
    for track in (short, opus):
        assert track.duration == pytest.approx(3.0, abs=0.1)
        assert track.codec == "mp3"
    assert web.codec is None  # located again, codec with it, before it plays
    broken = Path(path).with_name("broken.mp3")
    broken.write_bytes(b"not audio")
    document["tracks"] = [{"title": "Broken", "location": str(broken), "kind": "file"}]
    with pytest.raises(UserError, match="“Broken” cannot be played: FFmpeg cannot read"):
        await playlists(database, library=str(broken)).import_file(
            mine, json.dumps(document).encode(), created_by=ALICE, name="Broken"
        )
    assert await store.names(mine) == ["Lies"]
