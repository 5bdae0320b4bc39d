"""Errors that carry a message meant for the member who ran a command.

Services raise these without knowing anything of Discord; the bot base turns them into an
ephemeral answer, so every bot words failures the same way.
"""


class BotfleetError(Exception):
    """Base of botfleet's own exceptions."""


class UserError(BotfleetError):
    """A request the member can fix: the message is shown to them as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


EXIT_CONFIG_ERROR = 2
"""Process exit status for a configuration the operator must fix: a supervisor won't restart it."""
