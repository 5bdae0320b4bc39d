"""requirements.lock, the production install's hash-locked packages, checked against its sources.

scripts/lock.sh writes it from pyproject.toml (the production extras) and constraints.txt; the
Dockerfile and ``make install-production`` install it with ``--require-hashes``. These tests
catch a lock that was not regenerated after a change to either source, or that someone edited.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass

import pytest
from artefacts import REPO
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = REPO / "requirements.lock"
LOCK_SCRIPT = REPO / "scripts" / "lock.sh"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
PRODUCTION_PYTHON = {"python_version": "3.11", "python_full_version": "3.11.14"}
"""The image's interpreter (python:3.11-slim-bookworm): a marker decides against it."""


@dataclass(frozen=True)
class Locked:
    name: str
    version: str
    marker: Marker | None
    hashes: int


def locked() -> dict[str, Locked]:
    """The lock's entries by canonical name (a requirement and its hashes span joined lines)."""
    entries: dict[str, Locked] = {}
    text = LOCK.read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement_text, _, options = line.partition(" --hash")
        requirement = Requirement(requirement_text.strip())
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", line
        name = canonicalize_name(requirement.name)
        entries[name] = Locked(
            name, specifiers[0].version, requirement.marker, len(HASH.findall("--hash" + options))
        )
    return entries


def constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def pyproject() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as file:
        document: dict[str, object] = tomllib.load(file)
    return document


def production_extras() -> list[str]:
    """The extras scripts/lock.sh locks (its PRODUCTION_EXTRAS array)."""
    for line in LOCK_SCRIPT.read_text().splitlines():
        if line.startswith("PRODUCTION_EXTRAS=("):
            return shlex.split(line.removeprefix("PRODUCTION_EXTRAS=(").removesuffix(")"))
    raise AssertionError("scripts/lock.sh names no PRODUCTION_EXTRAS")


def applies(entry: Locked) -> bool:
    """Whether pip installs ``entry`` in the image (Linux, the image's Python)."""
    return entry.marker is None or entry.marker.evaluate(PRODUCTION_PYTHON)


def test_every_locked_package_is_pinned_and_hashed() -> None:
    entries = locked()
    assert len(entries) > 50
    unhashed = [entry.name for entry in entries.values() if entry.hashes == 0]
    assert unhashed == []


def test_locked_versions_are_the_constrained_ones() -> None:
    pins = constraints()
    project = pyproject()
    build_system = project["build-system"]
    assert isinstance(build_system, dict)
    build = {canonicalize_name(Requirement(text).name) for text in build_system["requires"]}
    differing = {
        entry.name: (entry.version, pins[entry.name])
        for entry in locked().values()
        if entry.name in pins and pins[entry.name] != entry.version
    }
    assert differing == {}
    unconstrained = [
        entry.name
        for entry in locked().values()
        if entry.name not in pins and entry.name not in build and applies(entry)
    ]
    assert unconstrained == []


def test_lock_holds_every_production_dependency() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    extras = production_extras()
    assert "dev" not in extras and "browser" not in extras
    wanted = [*project["dependencies"]]
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    entries = locked()
    missing = []
    for text in wanted:
        requirement = Requirement(text)
        entry = entries.get(canonicalize_name(requirement.name))
        if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
            missing.append(text)
    assert missing == []
    assert "pytest" not in entries and "ruff" not in entries


def makefile_recipe(target: str) -> list[str]:
    """The commands of ``target`` in the Makefile."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = lines.index(f"{target}:") + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def dockerfile_runs() -> list[str]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.startswith("RUN ")]


@pytest.mark.parametrize(
    "commands", [dockerfile_runs(), makefile_recipe("install-production")], ids=["image", "make"]
)
def test_production_install_requires_the_hashes(commands: list[str]) -> None:
    installs = [command for command in commands if "pip install" in command]
    from_lock = [command for command in installs if "-r requirements.lock" in command]
    assert len(from_lock) == 1 and "--require-hashes" in from_lock[0]
    others = [command for command in installs if command not in from_lock]
    assert len(others) == 1
    assert all(option in others[0] for option in ("--no-deps", "--no-index"))
