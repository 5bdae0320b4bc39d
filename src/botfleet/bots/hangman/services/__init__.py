"""The Hangman rules and records, free of any Discord type: commands and views call these."""
