"""Payments for premium: Stripe Checkout and PayPal subscriptions, and their verified webhooks.

Each provider's module creates what a member pays through and turns the provider's events into
the premium changes of :mod:`botfleet.services.premium`, which applies them exactly once.
"""
