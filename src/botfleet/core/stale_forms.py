"""Answers a form (modal) submission that no open form of this process is waiting for.

discord.py forgets a form once it was submitted, and a restarted process knows none of the
forms it showed before; a submission it does not know (sent twice by a client that kept the
form open, or after a restart) was dropped silently and the member saw "This interaction
failed". The guard sees each INTERACTION_CREATE before discord.py does and answers such a
submission privately, with a log line, so the member knows to open the form again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping
from typing import Any

import discord

from botfleet.core.errors import refuse

EVENT = "INTERACTION_CREATE"
MODAL_SUBMIT = 5
STALE_FORM = (
    "This form was sent already, or it was opened before I restarted: open it again if you "
    "still need to send it."
)


def answer_stale_forms(
    client: discord.Client, parsers: MutableMapping[str, Callable[[Any], None]]
) -> None:
    """Wrap the INTERACTION_CREATE parser of ``client`` in place."""
    state = client._connection
    parser = parsers[EVENT]
    answers: set[asyncio.Task[None]] = set()

    def parse(data: Any) -> None:
        stale = (
            isinstance(data, dict)
            and data.get("type") == MODAL_SUBMIT
            and (data.get("data") or {}).get("custom_id") not in state._view_store._modals
        )
        parser(data)
        if stale:
            task = asyncio.create_task(
                refuse(discord.Interaction(data=data, state=state), STALE_FORM)
            )
            answers.add(task)
            task.add_done_callback(answers.discard)

    parsers[EVENT] = parse
