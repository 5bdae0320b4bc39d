"""The Utility Bot of the fleet."""
