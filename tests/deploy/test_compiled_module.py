"""The package builds its one C module where a compiler is, and builds without it elsewhere.

The image, ``make install`` and ``make install-production`` build botfleet from this checkout;
a laptop without a C compiler must still install (issue 13's compiled table of clean words is
optional, and the same code runs in Python).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = "botfleet/bots/mod/services/_text_scan"


@pytest.mark.parametrize(
    ("compiler", "compiled"), [(None, True), ("false", False)], ids=["gcc", "no-compiler"]
)
def test_the_wheel_holds_the_compiled_table_only_when_a_compiler_built_it(
    tmp_path: Path, compiler: str | None, compiled: bool
) -> None:
    checkout = tmp_path / "checkout"  # pip builds in the tree: a copy, apart from other tests
    checkout.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(
        ROOT / "src", checkout / "src", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    environment = dict(os.environ)
    if compiler is not None:  # a compiler that fails, as on a machine without one
        environment["CC"] = compiler
    build = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--wheel-dir", str(tmp_path / "wheels"), str(checkout)),
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    [wheel] = (tmp_path / "wheels").glob("botfleet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.startswith(MODULE) and name.endswith(".so") for name in names) is compiled
    assert "botfleet/bots/mod/services/text_scan.py" in names
