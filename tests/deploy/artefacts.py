"""Where the deployment artefacts are, how their templates are filled in for a test, and how
their scripts run against commands of the test's own."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``${NAME}`` placeholders as ``envsubst`` does with an explicit list of names."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def run(
    *arguments: str | Path, cwd: Path = REPO, environment: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a validator or script to its end and keep what it said (it reports problems, never
    raises); ``environment`` replaces the test process's own."""
    return subprocess.run(
        [str(argument) for argument in arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def executable(path: Path, text: str, **values: str) -> None:
    """Write a fake command: ``text`` with ``{python}`` (this interpreter) and ``values``
    filled in, made executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.format(python=sys.executable, **values))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
