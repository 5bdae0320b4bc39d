"""Views that stop listening after a while, and what they must do then.

discord.py drops a view at its timeout, but the buttons and menus stay live on the message: a
press then reaches no view and goes unanswered, and the member reads "This interaction failed".
An answer's view greys itself out instead.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


async def grey_out(
    view: discord.ui.View, shown_by: discord.Interaction[Any] | None, what: str
) -> None:
    """Disable every button and menu of ``view`` on the answer of ``shown_by`` (the interaction
    whose answer holds it: only it may edit an ephemeral answer). ``what`` names the view in
    the log line when Discord refuses the edit (the answer deleted, its token expired)."""
    for item in view.children:
        if isinstance(item, discord.ui.Button | discord.ui.Select):
            item.disabled = True
    if shown_by is None:
        return
    try:
        await shown_by.edit_original_response(view=view)
    except discord.HTTPException as error:
        log.info("%s could not be greyed out: %s", what, error)
