"""Numbers typed into forms, URLs and query strings, read strictly.

``str.isdigit`` accepts "²", which ``int`` then refuses: only ASCII digits count here.
"""

from __future__ import annotations

import re
from typing import Final

_DIGITS: Final = re.compile(r"[0-9]+")
SNOWFLAKE_MAX: Final = 2**63 - 1
"""Discord ids are unsigned 64-bit in theory, but always fit a signed BIGINT column."""


def whole_number(raw: str | None, *, max_digits: int = 9) -> int | None:
    """``raw`` as a non-negative integer of at most ``max_digits`` digits, else None."""
    if raw is None or len(raw) > max_digits or _DIGITS.fullmatch(raw) is None:
        return None
    return int(raw)


def snowflake(raw: str | None) -> int | None:
    """``raw`` as a Discord id, else None."""
    value = whole_number(raw, max_digits=19)
    return value if value is not None and 0 < value <= SNOWFLAKE_MAX else None
