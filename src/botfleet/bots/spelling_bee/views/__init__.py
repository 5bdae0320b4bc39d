"""What the Spelling Bee Bot draws and posts."""
