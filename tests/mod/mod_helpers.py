"""Names shared by the Mod Bot's tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
CHANNEL = 333_333_333_333_333_333
MODERATOR = 444_444_444_444_444_444
OTHER_MODERATOR = 555_555_555_555_555_555
ALICE = 1_234_567_890_123_456_789
BOB = 987_654_321_098_765_432


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
