"""Drops an interaction the gateway delivers a second time.

Discord's gateway delivers at least once: a resumed session can replay an INTERACTION_CREATE
the bot handled already, and a client can replay one it captured. Handled again, a command
would act twice (a second warning) before Discord refused the second answer with 40060. The
filter wraps the INTERACTION_CREATE parser and lets each interaction id through once; an
interaction token lives 15 minutes, so the ids of the last ``remembered`` interactions are
kept, far more than a bot receives in that time.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

EVENT = "INTERACTION_CREATE"


class InteractionReplayFilter:
    """Lets each interaction id reach the client once; logs each replay it drops."""

    def __init__(self, bot_name: str, *, remembered: int = 50_000) -> None:
        self.bot_name = bot_name
        self._order: deque[str] = deque(maxlen=remembered)
        self._seen: set[str] = set()
        self.dropped = 0

    def install(self, parsers: MutableMapping[str, Callable[[Any], None]]) -> None:
        """Wrap the INTERACTION_CREATE parser in place (discord.py reads this mapping)."""
        parser = parsers[EVENT]

        def parse(data: Any) -> None:
            if self._first_time(data):
                parser(data)

        parsers[EVENT] = parse

    def _first_time(self, data: Any) -> bool:
        interaction_id = str(data.get("id")) if isinstance(data, dict) else ""
        if not interaction_id:
            return True
        if interaction_id in self._seen:
            self.dropped += 1
            user = (data.get("member") or {}).get("user") or data.get("user") or {}
            log.warning(
                "%s dropped interaction %s of user %s: delivered again after it was handled",
                self.bot_name,
                interaction_id,
                user.get("id"),
            )
            return False
        if len(self._order) == self._order.maxlen:
            self._seen.discard(self._order[0])
        self._order.append(interaction_id)
        self._seen.add(interaction_id)
        return True
