"""scripts/audit.sh: pip-audit's answer as .ci/run reads it (0 clean, 1 vulnerable, 2 out of reach).

Our machines reach no vulnerability service, so the script runs against a ``python3`` of the
test's own whose ``-m venv`` makes a ``pip`` and a ``pip-audit`` that answer as the real ones do:
pip-audit exits 1 both when it found vulnerabilities and, with ``--strict``, when it could not
ask about a package, and only its messages tell the two apart; a failure the network does not
explain (status 3) fails CI, as a vulnerability does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from artefacts import REPO, executable, run

SCRIPT = REPO / "scripts" / "audit.sh"

FAKE_PYTHON = """#!{python}
import os, sys
arguments = sys.argv[1:]
assert arguments[:2] == ["-m", "venv"], arguments
bin_folder = os.path.join(arguments[2], "bin")
os.makedirs(bin_folder)
for name in ("pip", "pip-audit"):
    path = os.path.join(bin_folder, name)
    with open(path, "w") as script:
        script.write("#!{python}\\n" + {fake_tool})
    os.chmod(path, 0o755)
"""

FAKE_TOOL = """import os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["FAKE_CALLS"], "a") as calls:
    calls.write(name + " " + " ".join(sys.argv[1:]) + "\\n")
answer = os.environ["FAKE_" + name.upper().replace("-", "_")]
if answer == "unreachable":
    print("ERROR:pip_audit._cli:aio-pika: Dependency not found on PyPI and could not be audited: "
          "aio-pika (10.2.1)", file=sys.stderr)
    sys.exit(1)
if answer == "vulnerable":
    print("Name    Version ID             Fix Versions\\naiohttp 3.9.0   GHSA-xxxx-yyyy 3.9.4")
    print("Found 1 known vulnerability in 1 package", file=sys.stderr)
    sys.exit(1)
if answer == "offline":
    print("WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError("
          "\\"Failed to establish a new connection: [Errno 101] Network is unreachable\\")'",
          file=sys.stderr)
    sys.exit(1)
if answer == "no such version":
    print("ERROR: No matching distribution found for pip-audit==0.0", file=sys.stderr)
    sys.exit(1)
if answer == "crash":
    print("Traceback (most recent call last):", "KeyError: 'vulns'", sep="\\n", file=sys.stderr)
    sys.exit(1)
"""


def audit(tmp_path: Path, *, pip: str = "ok", pip_audit: str) -> tuple[int, str, list[str]]:
    """Run the script with the fakes; its status, its output and the tools' command lines."""
    fakes = tmp_path / "bin"
    executable(fakes / "python3", FAKE_PYTHON, fake_tool=repr(FAKE_TOOL))
    calls = tmp_path / "calls"
    result = run(
        "bash",
        SCRIPT,
        environment={
            "PATH": f"{fakes}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "FAKE_CALLS": str(calls),
            "FAKE_PIP": pip,
            "FAKE_PIP_AUDIT": pip_audit,
        },
    )
    called = calls.read_text().splitlines() if calls.exists() else []
    return result.returncode, result.stdout + result.stderr, called


def test_a_clean_lock_passes_and_pip_audit_reads_the_lock_by_its_hashes(tmp_path: Path) -> None:
    status, output, called = audit(tmp_path, pip_audit="clean")
    assert status == 0, output
    assert "no known vulnerability in requirements.lock" in output
    [install, check] = called
    assert install.startswith("pip install") and "pip-audit==" in install
    assert check.startswith("pip-audit ")
    for option in (
        "--strict",
        "--require-hashes",
        "--disable-pip",
        "--requirement requirements.lock",
    ):
        assert option in check


def test_a_known_vulnerability_fails_with_its_list(tmp_path: Path) -> None:
    status, output, _ = audit(tmp_path, pip_audit="vulnerable")
    assert status == 1
    assert "GHSA-xxxx-yyyy" in output and "Found 1 known vulnerability" in output


@pytest.mark.parametrize(
    ("pip", "pip_audit", "status", "says"),
    [
        ("ok", "unreachable", 2, "pypi vulnerability service could not be reached"),
        ("offline", "clean", 2, "the package index could not be reached"),
        ("no such version", "clean", 3, "the audit failed (pip-audit 2.10.1 not installed)"),
        ("ok", "crash", 3, "the audit failed"),
    ],
)
def test_the_network_out_of_reach_is_told_from_a_failed_audit(
    tmp_path: Path, pip: str, pip_audit: str, status: int, says: str
) -> None:
    answered, output, _ = audit(tmp_path, pip=pip, pip_audit=pip_audit)
    assert answered == status, output
    assert says in output


@pytest.mark.parametrize("script", [SCRIPT, REPO / ".ci" / "run"])
def test_shellcheck_finds_nothing(script: Path, program: Callable[[str, str], str]) -> None:
    result = run(program("shellcheck", "checking the CI scripts"), script)
    assert result.returncode == 0, result.stdout
