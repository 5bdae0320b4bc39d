"""What the Hangman Bot does on its own: ending idle games, announcing achievements."""
