"""Remembering an extension's modules while another thread imports (issue 19).

A one-process fleet loads each bot's extensions on the event loop while the Grammar Bot
imports its engines in a worker thread; under ``benchmarks/soak.py`` at a load average of 9 the
Mod and Utility bots stopped at start-up with "dictionary changed size during iteration".
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

from botfleet.core import extension_modules

EXTENSION = "botfleet_test_remembered_extension"
ROUNDS = 50


@pytest.fixture
def importing_thread() -> Iterator[None]:
    """A thread adding and removing modules in ``sys.modules`` as imports do, switching often."""
    stop = threading.Event()

    def import_and_forget() -> None:
        names = [f"botfleet_test_imported_{index}" for index in range(50)]
        while not stop.is_set():
            for name in names:
                sys.modules[name] = ModuleType(name)
            for name in names:
                del sys.modules[name]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=import_and_forget, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)


def test_an_extension_is_remembered_while_another_thread_imports(
    importing_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, EXTENSION, extension_modules)  # any module with a file
    try:
        for _ in range(ROUNDS):
            extension_modules.remember(EXTENSION)
    finally:
        extension_modules._executed.pop(EXTENSION, None)
