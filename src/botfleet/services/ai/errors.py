"""What can go wrong when a bot asks the AI, each with the sentence the member reads.

Every error is a :class:`~botfleet.errors.UserError`, so a command that lets one escape gets a
friendly ephemeral answer from the bot base; a bot with an offline path catches
:class:`AIError` and shows its offline result instead.
"""

from __future__ import annotations

import math
from datetime import datetime

from botfleet.errors import UserError
from botfleet.utils.wording import plural


class AIError(UserError):
    """The AI could not answer this request; the offline path still can."""


class AIUnavailableError(AIError):
    """No API key is configured, or the server refused it: the AI is off for now."""

    def __init__(self, message: str = "AI features are switched off on this bot.") -> None:
        super().__init__(message)


class AIRateLimitedError(AIError):
    """The AI provider kept answering 429 (too many requests) through every retry."""

    def __init__(self, retry_after: float | None) -> None:
        when = (
            f" in about {plural(math.ceil(retry_after), 'second')}"
            if retry_after
            else " in a minute"
        )
        super().__init__(f"The AI is busy right now — please try again{when}.")
        self.retry_after = retry_after


class AITimeoutError(AIError):
    """The AI server did not answer within the configured timeout."""

    def __init__(self) -> None:
        super().__init__("The AI took too long to answer — please try again later.")


class AIServerError(AIError):
    """The AI server failed (5xx, unreachable) through every retry, or gave a broken answer."""

    def __init__(self) -> None:
        super().__init__("The AI service is having trouble right now — please try again later.")


class AIRequestError(AIError):
    """The AI server refused the request itself (too long for the model, filtered content)."""

    def __init__(self) -> None:
        super().__init__("The AI could not handle that text — try a shorter or different one.")


class AIBudgetExceededError(AIError):
    """A member or server used up today's AI budget."""

    def __init__(self, scope: str, resets_at: datetime) -> None:
        whose = "your" if scope == "user" else "this server's"
        stamp = f"<t:{int(resets_at.timestamp())}:R>"
        super().__init__(
            f"You've reached {whose} AI limit for today; it resets {stamp}. "
            "Features that work without AI keep working."
        )
        self.scope = scope
        self.resets_at = resets_at


class AIInputError(AIError):
    """The member's text is empty or longer than the configured limit."""
