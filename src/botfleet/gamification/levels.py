"""The level curve: total XP ⇄ level ⇄ progress within a level, in exact integer arithmetic.

Leaving a level costs ``quadratic·n² + linear·n + constant`` XP, where ``n`` is the number of
level-ups a member already has. The default (5, 50, 100) is the curve most leveling bots use, so
XP totals mean the same here as there: the first level-up costs 100 XP, the second 155, the
tenth 955. Levels are numbered from 1 (the ``users.level`` default), so a newcomer is at level
1 with 0 XP.

Every function is exact (no floating point), monotonic and total over non-negative XP, which
is what lets a level-up be detected by comparing two stored integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

FIRST_LEVEL: Final = 1
"""The level of a member with no XP (the schema's ``users.level`` default)."""


@dataclass(frozen=True, slots=True)
class LevelProgress:
    """Where ``total_xp`` stands: the level, and how far into it."""

    total_xp: int
    level: int
    xp_into_level: int
    """XP earned since reaching ``level``."""
    xp_for_level: int
    """XP the whole of ``level`` spans (from reaching it to the next level-up)."""

    @property
    def xp_to_next_level(self) -> int:
        """XP still missing for the next level-up (at least 1)."""
        return self.xp_for_level - self.xp_into_level

    @property
    def fraction(self) -> float:
        """Progress through the level, from 0.0 (just reached) up to, never reaching, 1.0."""
        return self.xp_into_level / self.xp_for_level


@dataclass(frozen=True, slots=True)
class LevelCurve:
    """XP cost per level as a quadratic in the level-ups already gained.

    Every coefficient is a non-negative integer and ``constant`` is at least 1, so each level
    costs at least 1 XP and the curve is strictly increasing.
    """

    quadratic: int = 5
    linear: int = 50
    constant: int = 100

    def __post_init__(self) -> None:
        if self.quadratic < 0 or self.linear < 0 or self.constant < 1:
            raise ValueError(
                "A level curve needs quadratic >= 0, linear >= 0 and constant >= 1, "
                f"got {self.quadratic}, {self.linear}, {self.constant}."
            )

    def xp_for_level(self, level: int) -> int:
        """XP it takes to go from ``level`` to ``level + 1``."""
        gained = _levels_gained(level)
        return self.quadratic * gained * gained + self.linear * gained + self.constant

    def total_xp_for_level(self, level: int) -> int:
        """Total XP at which a member reaches ``level`` (0 for the first level)."""
        gained = _levels_gained(level)
        # Closed forms of the sums of k² and k for k = 0 .. gained-1: exact in integers.
        squares = (gained - 1) * gained * (2 * gained - 1) // 6
        naturals = (gained - 1) * gained // 2
        return self.quadratic * squares + self.linear * naturals + self.constant * gained

    def level_for_xp(self, total_xp: int) -> int:
        """The level a member with ``total_xp`` is at."""
        if total_xp < 0:
            raise ValueError(f"Total XP cannot be negative, got {total_xp}.")
        # Double an upper bound, then bisect: about 2·log2(level) exact evaluations.
        low, high = FIRST_LEVEL, FIRST_LEVEL + 1
        while self.total_xp_for_level(high) <= total_xp:
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if self.total_xp_for_level(middle) <= total_xp:
                low = middle
            else:
                high = middle
        return low

    def progress(self, total_xp: int) -> LevelProgress:
        """The level of ``total_xp`` and the progress within it."""
        level = self.level_for_xp(total_xp)
        return LevelProgress(
            total_xp=total_xp,
            level=level,
            xp_into_level=total_xp - self.total_xp_for_level(level),
            xp_for_level=self.xp_for_level(level),
        )


DEFAULT_CURVE: Final = LevelCurve()


def _levels_gained(level: int) -> int:
    if level < FIRST_LEVEL:
        raise ValueError(f"Levels start at {FIRST_LEVEL}, got {level}.")
    return level - FIRST_LEVEL
