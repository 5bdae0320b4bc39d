"""Utilities every bot shares: helpers for embeds, durations and text, and logging set-up."""
