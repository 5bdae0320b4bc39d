# The compiled table answers exactly as the Python one (tests/mod/test_mod_clean_words.py).
from botfleet.bots.mod.services.clean_words import PyCleanWords as CleanWords

__all__ = ["CleanWords"]
