# The compiled scans answer exactly as the Python ones (tests/mod/test_mod_text_scan.py).
from botfleet.bots.mod.services.text_scan import PyCleanWords as CleanWords

__all__ = ["CleanWords", "ascii_cases", "contains"]

def ascii_cases(text: str, /) -> tuple[int, int]: ...
def contains(text: str, needle: str, /) -> bool: ...
