"""What the component fuzz tests share: hostile text drawn by hypothesis, the same at every
run, and the watch over what a bot shows, pings and logs while it is fed.

Used by ``test_reliability_fuzz_components.py`` (forms, menus, buttons) and
``test_reliability_fuzz_views.py`` (leaderboard pages, massban confirmations, role-menu buttons,
the grammar tone menu, reminders as they fire).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from botfleet.core.answers import slow_note
from botfleet.sandbox import InteractionHandle, Message, SandboxChannel, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage

WAIT = 10.0
EXAMPLES = 6
T = TypeVar("T")
SLOW_NOTE_START = slow_note("").split(" — ")[0]


async def answered(handle: InteractionHandle) -> Message:
    """The message that answers ``handle``: the response, or what filled its acknowledgement,
    past any note that the answer is taking longer (a loaded machine makes that note)."""
    message = await handle.wait_for_message(timeout=WAIT)
    while message.content.startswith(SLOW_NOTE_START):
        message = await handle.wait_for_edit(timeout=WAIT)
    return message


def drawn(strategy: st.SearchStrategy[T], count: int = EXAMPLES) -> list[T]:
    """``count`` examples of ``strategy``, the same at every run (no database, derandomized)."""
    found: list[T] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: T) -> None:
        found.append(value)

    collect()
    return found[:count]


def hostile_text(
    low: int, high: int, victim: SandboxMember, role_id: int
) -> st.SearchStrategy[str]:
    """Texts of ``low`` to ``high`` characters built from what a hostile member pastes."""
    pieces = st.sampled_from(
        [
            "@everyone",
            "@here",
            victim.mention,
            f"<@!{victim.id}>",
            f"<@&{role_id}>",
            "**bold** __under__ ~~gone~~",
            "```py\nprint(1)\n```",
            "||spoiler||",
            "> quoted\n",
            "\u200b\u200c\u200d\u2060\ufeff",
            "\u202eevil\u202c",
            "e\u0301\u0301\u0301",
            "👩‍👩‍👧🪢",
            "[link](https://example.com)",
            "\n\n",
            "   ",
        ]
    )
    words = st.text(st.characters(codec="utf-8"), max_size=12)
    long_word = st.integers(min_value=1, max_value=high).map(lambda size: "w" * size)
    return st.lists(st.one_of(pieces, words, long_word), min_size=1, max_size=8).map(
        lambda parts: fit("".join(parts), low, high)
    )


def fit(text: str, low: int, high: int) -> str:
    """``text`` cut to ``high`` characters, padded with letters to ``low``."""
    return text[:high] + "x" * max(0, low - len(text[:high]))


def edges(low: int, high: int) -> list[str]:
    """The texts at the limits: shortest, longest, one very long word."""
    return ["y" * max(low, 1), "z" * high]


class Watch:
    """What every input must leave true: bot messages without traceback or unasked ping, no
    error logged. ``asked`` are the members a bot may ping (the one acting, say)."""

    def __init__(self, stage: FleetBotStage, caplog: pytest.LogCaptureFixture) -> None:
        self.stage = stage
        self.caplog = caplog
        caplog.set_level(logging.INFO, logger="botfleet")

    def bot_messages(self) -> list[Message]:
        state = self.stage.sandbox.state
        return [
            message
            for message in state.messages.values()
            if message.author.id == self.stage.app.bot_user.id
        ]

    def check(self, asked: Iterable[SandboxMember] = ()) -> None:
        allowed = {member.id for member in asked}
        for message in self.bot_messages():
            shown = message.content + str(message.embeds)
            assert "Traceback" not in shown and "went wrong" not in shown, message.describe()
            if message.ephemeral:
                continue  # seen by the one member it answers: it notifies nobody
            # What it notified when sent, and what it mentions after its edits.
            assert not message.mention_everyone, message.describe()
            assert not message.notified_everyone, message.describe()
            assert message.mention_role_ids == message.notified_role_ids == [], message.describe()
            users = {*message.mention_user_ids, *message.notified_user_ids}
            assert users <= allowed, message.describe()
        errors = [r.getMessage() for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert errors == []


@dataclass(frozen=True)
class Scene:
    """A bot's stage with Alice, who types, Bob, whom she tries to ping, a role she tries to
    ping, the channel she types in, and the watch over what the bot does."""

    stage: FleetBotStage
    alice: SandboxMember
    bob: SandboxMember
    role_id: int
    general: SandboxChannel
    watch: Watch

    def texts(self, low: int, high: int, count: int = EXAMPLES) -> list[str]:
        """The texts at the limits, then ``count`` hostile ones between them."""
        return edges(low, high) + drawn(hostile_text(low, high, self.bob, self.role_id), count)
