"""The bot process's own resource use, for /botinfo."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def resident_memory_bytes(status_file: Path) -> int | None:
    """Memory the process holds now (Linux ``VmRSS``), else its peak; blocking file read.

    ``status_file`` is ``/proc/self/status`` on Linux; elsewhere it does not exist and the peak
    from ``getrusage`` (kilobytes on Linux, bytes on macOS) is the best there is.
    """
    try:
        for line in status_file.read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
