"""Errors every payment provider shares."""


class PaymentsNotConfiguredError(RuntimeError):
    """The operator has not set this provider up."""


class WebhookRejectedError(ValueError):
    """A webhook that is not provably the provider's, or not recent: answered 400."""
