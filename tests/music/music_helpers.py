"""Names shared by the Music tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

AudioFactory = Callable[..., Path]
"""``make_audio(name, seconds=..., frequency=..., folder=..., **tags)`` of ``conftest.py``."""
