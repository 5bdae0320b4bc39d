"""The Spelling Bee Bot of the fleet."""
