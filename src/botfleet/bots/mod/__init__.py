"""The Mod Bot of the fleet."""
