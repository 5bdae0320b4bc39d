"""Log records that say which bot, shard, guild and command they came from.

Each bot's task sets its name when it starts serving, and the bot adds the shard, guild and
command when a command starts; the record factory copies the context onto every record logged
in that task and the tasks it starts (each Discord event runs in a task of its own, so contexts
never mix). The JSON log lines carry them, so the bots of a one-process fleet each log under
their own name.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "botfleet_log_context", default=None
)
_installed = False


def set_log_context(**fields: Any) -> None:
    """Attach ``fields`` (shard=0, guild=123, command="ping") to this task's log records,
    beside those it inherited (the bot's name); a None value removes a field."""
    context = {**(_CONTEXT.get() or {}), **fields}
    _CONTEXT.set({name: value for name, value in context.items() if value is not None})


def install_log_context() -> None:
    """Wrap the record factory once per process so records pick up the context."""
    global _installed  # noqa: PLW0603  (one factory per process, however many bots)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for name, value in (_CONTEXT.get() or {}).items():
            setattr(record, name, value)
        return record

    logging.setLogRecordFactory(with_context)
    _installed = True
