"""Premium's Music perks end to end: more saved playlists and a larger share of the queue for a
member premium covers (their own premium, or the server's), a refusal pointing at /premium for a
free one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from music_helpers import Room, command

from botfleet.config.schema import Settings
from botfleet.services.premium import Subject


@pytest.mark.usefixtures("real_time")
async def test_premium_keeps_more_playlists_and_a_free_member_is_told_so(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, _, alice = room
    settings = make_settings(
        library_path=str(library), max_saved_playlists=1, premium_max_saved_playlists=2
    )
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")

        async def save(name: str) -> str:
            return await command(alice, general, app, "playlist", subcommand="save", name=name)

        assert "Saved “One”" in await save("One")
        refused = await save("Two")
        until = datetime.now(UTC) + timedelta(days=30)
        await bot.premium.override(
            Subject.user(alice.id), actor="test", reason="perk test", until=until
        )
        second = await save("Two")
        third = await save("Three")

    assert refused == (
        "Your playlists are full (1 playlist); delete one first. "
        "Premium raises this to 2 playlists: see `/premium`."
    )
    assert "Saved “Two”" in second
    assert third == "Your playlists are full (2 playlists); delete one first."


@pytest.mark.usefixtures("real_time")
async def test_a_premium_server_lets_its_members_queue_more(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, _, alice = room
    settings = make_settings(library_path=str(library), max_queue_size=4, member_queue_share=0.25)
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")
        await command(alice, general, app, "play", query="first light")
        refused = await command(alice, general, app, "play", query="second wind")
        until = datetime.now(UTC) + timedelta(days=30)
        await bot.premium.override(
            Subject.guild(stage.guild.id), actor="test", reason="perk test", until=until
        )
        queued = await command(alice, general, app, "play", query="second wind")

    assert refused == (
        "You already have 1 track waiting — let others have a turn. "
        "Premium raises this to 4 tracks: see `/premium`."
    )
    assert queued == "➕ Queued **Second Wind** at #2"
