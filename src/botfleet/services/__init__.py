"""Shared services: the rules every bot calls, free of any Discord type."""
