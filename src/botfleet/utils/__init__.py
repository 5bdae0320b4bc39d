"""Utilities every bot shares: embeds, durations, text, background tasks and logging set-up."""
