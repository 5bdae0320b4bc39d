"""Where the deployment artefacts are, and how their templates are filled in for a test."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``${NAME}`` placeholders as ``envsubst`` does with an explicit list of names."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def run(*arguments: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run a validator to its end and keep what it said (it reports problems, never raises)."""
    return subprocess.run(
        [str(argument) for argument in arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
