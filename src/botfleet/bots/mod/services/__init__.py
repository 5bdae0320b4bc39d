"""The Mod Bot's rules and records, free of any Discord type: commands and events call these."""
