"""Answers a form (modal) submission or a component press that nothing in this process awaits.

discord.py forgets a form once it was submitted, and a restarted process knows none of the
forms it showed before; a submission it does not know (sent twice by a client that kept the
form open, or after a restart) was dropped silently and the member saw "This interaction
failed". The same held for a button or menu no view or persistent item of this process
answers: a view that timed out or was shown before a restart, or a persistent button whose
custom id an older release wrote in a shape this one no longer reads. The guard sees each
INTERACTION_CREATE before discord.py does and answers such an interaction privately, with a
log line, so the member knows to open the form again or ask for a new message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import discord

from botfleet.core.errors import refuse

EVENT = "INTERACTION_CREATE"
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5
STALE_FORM = (
    "This form was sent already, or it was opened before I restarted: open it again if you "
    "still need to send it."
)
STALE_COMPONENT = (
    "This button or menu no longer works (it timed out, or it was shown before I restarted): "
    "run the command again for a new one."
)


def _stale_answer(store: Any, data: Mapping[str, Any]) -> str | None:
    """What to tell the member when discord.py would drop ``data`` unanswered, else None.

    discord.py dispatches a press to a persistent item whose template matches its custom id,
    else to the view stored for the message or for no message in particular; a submission to
    the open form with its custom id.
    """
    inner = data.get("data") or {}
    custom_id = inner.get("custom_id")
    if not isinstance(custom_id, str):
        return None
    if data.get("type") == MODAL_SUBMIT:
        return None if custom_id in store._modals else STALE_FORM
    if data.get("type") != MESSAGE_COMPONENT:
        return None
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return None
    key = (inner.get("component_type"), custom_id)
    message_id = discord.utils._get_as_snowflake(data.get("message") or {}, "id")
    for entity in (message_id, None):
        item = store._views.get(entity, {}).get(key)
        if item is not None and item.view is not None:
            return None
    return STALE_COMPONENT


def answer_stale_forms(
    client: discord.Client, parsers: MutableMapping[str, Callable[[Any], None]]
) -> None:
    """Wrap the INTERACTION_CREATE parser of ``client`` in place."""
    state = client._connection
    parser = parsers[EVENT]
    answers: set[asyncio.Task[None]] = set()

    def parse(data: Any) -> None:
        stale = _stale_answer(state._view_store, data) if isinstance(data, dict) else None
        parser(data)
        if stale is not None:
            task = asyncio.create_task(refuse(discord.Interaction(data=data, state=state), stale))
            answers.add(task)
            task.add_done_callback(answers.discard)

    parsers[EVENT] = parse
