"""Events of the Spelling Bee Bot."""
