"""Racing board edits: an older move never draws over a newer board."""

from __future__ import annotations

import asyncio

from botfleet.bots.hangman.views.display import FINAL_VERSION, ShownVersions


async def claimed(shown: ShownVersions, game_id: int, version: int) -> bool:
    async with shown.claim(game_id, version) as fresh:
        return fresh


async def test_older_versions_are_skipped_and_newer_ones_drawn() -> None:
    shown = ShownVersions()
    assert await claimed(shown, 1, 5)
    assert not await claimed(shown, 1, 4), "a move older than the board on screen is skipped"
    assert await claimed(shown, 1, 5), "the same version may be drawn again"
    assert await claimed(shown, 1, 6)
    assert await claimed(shown, 2, 1), "games are independent"


async def test_nothing_draws_over_a_finished_game() -> None:
    shown = ShownVersions()
    assert await claimed(shown, 7, FINAL_VERSION)
    assert not await claimed(shown, 7, 12)


async def test_the_newer_edit_wins_when_it_arrives_first() -> None:
    shown = ShownVersions()
    order: list[int] = []
    newer_inside = asyncio.Event()

    async def draw(version: int, *, hold: bool) -> None:
        async with shown.claim(3, version) as fresh:
            if fresh:
                order.append(version)
            if hold:
                newer_inside.set()
                await asyncio.sleep(0.05)

    newer = asyncio.create_task(draw(9, hold=True))
    await newer_inside.wait()
    await draw(8, hold=False)
    await newer
    assert order == [9], "the older move waited for the newer one, then was skipped"


async def test_memory_is_bounded() -> None:
    shown = ShownVersions(remembered=2)
    for game_id in (1, 2, 3):
        assert await claimed(shown, game_id, 5)
    assert await claimed(shown, 1, 0), "the oldest game was forgotten"
    assert not await claimed(shown, 3, 4)
