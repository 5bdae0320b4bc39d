"""The bot base every bot of the fleet is built on."""
