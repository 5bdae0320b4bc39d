"""Keeps a gateway event the library cannot parse from ending the bot.

discord.py parses each dispatch inside its gateway's receive loop; an exception raised by a
``parse_*`` handler (a field Discord added or changed, a malformed payload) leaves that loop,
and the shard worker turns it into a termination of the whole client. Against an independent
Discord server implementation, one malformed MESSAGE_UPDATE ended three bots at once. The
guard wraps every parser: a failure is logged once per event type, counted, and the bot reads
the next event.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Parser = Callable[[Any], None]


class GatewayParseGuard:
    """Wraps a client's gateway parsers so an unparsable event is skipped, not fatal."""

    def __init__(self, bot_name: str, on_failure: Callable[[str], None]) -> None:
        self.bot_name = bot_name
        self._on_failure = on_failure
        self.failures: Counter[str] = Counter()
        """Event type → how many of its events could not be parsed."""

    def install(self, parsers: MutableMapping[str, Parser]) -> None:
        """Replace each parser, in place, by a guarded one (discord.py reads this mapping)."""
        for event_type, parser in list(parsers.items()):
            parsers[event_type] = self._guarded(event_type, parser)

    def _guarded(self, event_type: str, parser: Parser) -> Parser:
        def parse(data: Any) -> None:
            try:
                parser(data)
            except Exception:
                self._failed(event_type)

        return parse

    def _failed(self, event_type: str) -> None:
        """Log the first failure of an event type with its traceback; count every one."""
        self.failures[event_type] += 1
        self._on_failure(event_type)
        if self.failures[event_type] == 1:
            log.exception(
                "%s could not parse a %s gateway event; skipped it and goes on (later "
                "failures of %s are counted in botfleet_errors, not logged)",
                self.bot_name,
                event_type,
                event_type,
            )
        else:
            log.debug("%s skipped another unparsable %s event", self.bot_name, event_type)
