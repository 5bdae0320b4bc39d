"""Fixtures of the deployment tests: the validators that check the artefacts of deploy/.

Every validator is a real program: the PyPI ones come with the dev extra (in .venv/bin), the
Debian ones (nginx, systemd-analyze, openssl) are installed by .ci/run. A missing one skips the
test on a laptop and fails it in CI, like the backend services.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def tool(program: Callable[[str, str], str]) -> Callable[[str], str]:
    """``tool("hadolint")``: the program's path, from the test's own .venv/bin or from PATH."""

    def find(name: str) -> str:
        installed = VENV_BIN / name
        return str(installed) if installed.exists() else program(name, "checking deploy/")

    return find
