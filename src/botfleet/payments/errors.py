"""Errors every payment provider shares."""


class PaymentsNotConfiguredError(RuntimeError):
    """The operator has not set this provider up."""


class StripeCustomerGoneError(LookupError):
    """A checkout named a Stripe customer Stripe no longer has (deleted in its dashboard)."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"Stripe has no customer {customer_id}")
        self.customer_id = customer_id


class WebhookRejectedError(ValueError):
    """A webhook that is not provably the provider's, or not recent: answered 400."""
