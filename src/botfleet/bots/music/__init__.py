"""The Music Bot of the fleet."""
