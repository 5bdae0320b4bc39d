"""The Hangman Bot of the fleet."""
