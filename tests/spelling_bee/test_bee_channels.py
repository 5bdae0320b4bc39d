"""The guilds a process remembers to have no puzzle channel: bounded, and valid under one
generation only (a channel set anywhere starts a new one)."""

from __future__ import annotations

from botfleet.bots.spelling_bee.services.channels import GuildsWithoutChannel


def test_the_oldest_absence_goes_first_past_the_bound() -> None:
    absent = GuildsWithoutChannel(held=3)
    for guild_id in (1, 2, 3, 4):
        absent.note(guild_id, "first")
    assert len(absent) == 3
    assert [absent.holds(guild_id, "first") for guild_id in (1, 2, 3, 4)] == [
        False,
        True,
        True,
        True,
    ]


def test_an_absence_counts_under_its_own_generation_only() -> None:
    absent = GuildsWithoutChannel(held=3)
    absent.note(1, "first")
    assert not absent.holds(1, None), "no generation known: the cache lost it"
    assert not absent.holds(1, "second")
    absent.note(2, "second")
    assert len(absent) == 1, "a new generation forgets the older absences"
    assert not absent.holds(1, "first")
    assert absent.holds(2, "second")


def test_the_absence_asked_least_recently_goes_first() -> None:
    absent = GuildsWithoutChannel(held=2)
    absent.note(1, "first")
    absent.note(2, "first")
    assert absent.holds(1, "first"), "a server that chats"
    absent.note(3, "first")
    assert [absent.holds(guild_id, "first") for guild_id in (1, 2, 3)] == [True, False, True]
