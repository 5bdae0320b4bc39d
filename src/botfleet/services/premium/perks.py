"""What premium gives in the bots: limits it raises, through the one shared check.

A bot asks :meth:`~botfleet.services.premium.service.PremiumService.covers` whether premium
covers a member where they act (their own, or their server's), takes the limit of an
:class:`Allowance` for that answer, and ends a refusal with :meth:`Allowance.upsell`, so a free
member learns what premium would allow and where to get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from botfleet.utils.wording import plural

PREMIUM_COMMAND: Final = "/premium"
"""Where a member sees premium and subscribes (the Utility Bot's command)."""


@dataclass(frozen=True, slots=True)
class Allowance:
    """A limit premium raises: ``free`` for everyone, ``premium`` where premium covers."""

    free: int
    premium: int

    def limit(self, premium: bool) -> int:
        """The limit in force (premium never lowers one, whatever the configuration says)."""
        return max(self.free, self.premium) if premium else self.free

    def upsell(self, premium: bool, unit: str) -> str:
        """What a refusal adds for a member premium would help: ``""`` when it would not."""
        if premium or self.premium <= self.free:
            return ""
        return f" Premium raises this to {plural(self.premium, unit)}: see `{PREMIUM_COMMAND}`."
