"""The queue without Discord: adding under limits, loop modes, history, editing, shuffling."""

from __future__ import annotations

import random

import pytest

from botfleet.bots.music.services.queue import LoopMode, QueueLimits, TrackQueue
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.errors import UserError


def track(name: str, requester: int = 1, duration: float | None = 60.0) -> Track:
    return Track(
        title=name,
        location=f"/music/{name}.ogg",
        kind=SourceKind.FILE,
        duration=duration,
        requester_id=requester,
    )


def titles(queue: TrackQueue) -> list[str]:
    return [entry.title for entry in queue.upcoming]


def test_tracks_play_in_order_and_go_to_the_history() -> None:
    queue = TrackQueue()
    assert queue.add([track("a"), track("b")]) == 1
    assert queue.add([track("c")]) == 3
    assert queue.advance() == track("a")
    assert queue.advance() == track("b")
    assert queue.advance() == track("c")
    assert queue.advance() is None
    assert [entry.title for entry in queue.history] == ["a", "b", "c"]


def test_play_next_goes_before_the_rest() -> None:
    queue = TrackQueue()
    queue.add([track("a"), track("b")])
    assert queue.add([track("urgent")], play_next=True) == 1
    assert titles(queue) == ["urgent", "a", "b"]


def test_loop_track_repeats_until_skipped_and_loop_queue_cycles() -> None:
    queue = TrackQueue()
    queue.add([track("a"), track("b")])
    queue.advance()
    queue.loop = LoopMode.TRACK
    assert queue.advance() == track("a")
    assert queue.skip() == track("b")
    assert queue.loop is LoopMode.TRACK
    queue.loop = LoopMode.QUEUE
    queue.add([track("c")])
    played = [queue.advance() for _ in range(4)]
    assert [entry.title for entry in played if entry] == ["c", "b", "c", "b"]


def test_back_plays_the_previous_track_and_keeps_the_current_one_next() -> None:
    queue = TrackQueue()
    with pytest.raises(UserError, match="Nothing has played"):
        queue.back()
    queue.add([track("a"), track("b")])
    queue.advance()
    queue.advance()
    assert queue.back() == track("a")
    assert queue.current == track("a")
    assert titles(queue) == ["b"]


def test_remove_move_swap_and_clear_by_one_based_position() -> None:
    queue = TrackQueue()
    queue.add([track(name) for name in "abcde"])
    assert queue.remove(2).title == "b"
    assert queue.move(1, 4).title == "a"
    assert titles(queue) == ["c", "d", "e", "a"]
    queue.swap(1, 4)
    assert titles(queue) == ["a", "d", "e", "c"]
    for bad in (0, 5, -1):
        with pytest.raises(UserError, match="from 1 to 4"):
            queue.remove(bad)
    assert titles(queue) == ["a", "d", "e", "c"]
    assert queue.clear() == 4
    with pytest.raises(UserError, match="empty"):
        queue.remove(1)


def test_dedupe_keeps_the_first_copy_and_drops_repeats_of_the_current_track() -> None:
    queue = TrackQueue()
    queue.add([track("a"), track("b"), track("a", requester=2), track("c"), track("b")])
    queue.advance()
    assert queue.dedupe() == 2
    assert titles(queue) == ["b", "c"]


def test_shuffle_is_a_permutation_and_needs_two_tracks() -> None:
    queue = TrackQueue()
    queue.add([track("only")])
    with pytest.raises(UserError, match="two tracks"):
        queue.shuffle()
    queue.add([track(str(n)) for n in range(20)])
    before = titles(queue)
    queue.shuffle(random.Random(7))
    assert sorted(titles(queue)) == sorted(before)
    assert titles(queue) != before


def test_a_premium_member_may_fill_the_whole_queue_and_a_free_one_is_told_so() -> None:
    queue = TrackQueue(QueueLimits(max_size=4, member_share=0.25))
    queue.add([track("a", 1)])
    with pytest.raises(UserError) as refused:
        queue.add([track("b", 1)])
    assert str(refused.value) == (
        "You already have 1 track waiting — let others have a turn. "
        "Premium raises this to 4 tracks: see `/premium`."
    )
    assert queue.room_for(1, premium=True) == 3
    queue.add([track("b", 1), track("c", 1), track("d", 1)], premium=True)
    with pytest.raises(UserError, match=r"^The queue is full \(4 tracks\)\.$"):
        queue.add([track("e", 1)], premium=True)


def test_size_share_and_length_limits_refuse_the_whole_request() -> None:
    queue = TrackQueue(QueueLimits(max_size=4, member_share=0.5, max_track_seconds=600))
    queue.add([track("a", 1), track("b", 1)])
    with pytest.raises(UserError, match="already have 2 tracks waiting"):
        queue.add([track("c", 1)])
    with pytest.raises(UserError, match="add 2 more tracks now, not 3"):
        queue.add([track("x", 2), track("y", 2), track("z", 2)])
    with pytest.raises(UserError, match="at most 10:00"):
        queue.add([track("long", 2, duration=601)])
    queue.add([track("stream", 2, duration=None), track("d", 2)])
    assert len(queue) == 4
    with pytest.raises(UserError, match="queue is full"):
        queue.add([track("e", 3)])
    assert queue.room_for(3) == 0
