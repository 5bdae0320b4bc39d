"""Domain logic of the Spelling Bee Bot; no discord.py here."""
