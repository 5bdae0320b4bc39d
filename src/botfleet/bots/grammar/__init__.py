"""The Grammar Bot of the fleet."""
