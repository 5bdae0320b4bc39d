"""The Hangman Bot's Discord side of a game: the board embed, its buttons and its modals."""
