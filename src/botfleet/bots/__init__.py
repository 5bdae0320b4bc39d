"""The six bots of the fleet; each is its own process with its own token."""
