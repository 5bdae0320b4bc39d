"""The filter that lets each interaction id reach the client once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from botfleet.core.interaction_replay import EVENT, InteractionReplayFilter


def deliver(remembered: int, numbers: list[int]) -> tuple[InteractionReplayFilter, list[str]]:
    """Deliver INTERACTION_CREATE events with these ids through a filter; what got parsed."""
    parsed: list[str] = []
    parsers: dict[str, Callable[[Any], None]] = {EVENT: lambda data: parsed.append(data["id"])}
    replays = InteractionReplayFilter("mod", remembered=remembered)
    replays.install(parsers)
    for number in numbers:
        parsers[EVENT]({"id": str(number), "member": {"user": {"id": "7"}}})
    return replays, parsed


def test_a_repeated_interaction_is_dropped_and_logged_with_its_member(
    caplog: pytest.LogCaptureFixture,
) -> None:
    replays, parsed = deliver(100, [1, 2, 1, 1])

    assert parsed == ["1", "2"]
    assert replays.dropped == 2
    assert [r.getMessage() for r in caplog.records] == [
        "mod dropped interaction 1 of user 7: delivered again after it was handled"
    ] * 2
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_only_the_last_remembered_ids_are_kept() -> None:
    _, parsed = deliver(3, [1, 2, 3, 4, 1, 4])

    assert parsed == ["1", "2", "3", "4", "1"]
