"""The Dockerfile, .dockerignore, deploy/compose.yaml and .env.example, checked without an engine.

Our machines have the Docker client but no engine and no compose plugin, so: hadolint lints the
Dockerfile, check-jsonschema validates compose.yaml against the Compose specification's schema
(the one ``docker compose config`` enforces), and the tests below check what a schema cannot: the
start order, one service and one token per bot, the health checks, and .env.example in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from artefacts import DEPLOY, REPO, run

from botfleet import bot_names
from botfleet.config import token_variable
from botfleet.config.loader import load_effective_config

COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
INTERPOLATION = re.compile(r"\$\{(\w+)")
HEALTH_TEST = [
    "CMD",
    "curl",
    "--fail",
    "--silent",
    "--show-error",
    "--max-time",
    "5",
    "http://127.0.0.1:8080/health",
]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_hadolint_finds_nothing(tool: Callable[[str], str]) -> None:
    result = run(tool("hadolint"), "--failure-threshold", "info", DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_multi_stage_slim_and_not_root() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))
    assert any(line.startswith("HEALTHCHECK ") for line in lines)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "logs"} <= ignored
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(), re.MULTILINE)
    for sources in copied:
        for source in sources.split():
            assert source not in ignored, f"the Dockerfile copies {source}, which is ignored"
            assert (REPO / source).exists(), source


def test_compose_matches_the_compose_specification(tool: Callable[[str], str]) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("command", "artefact", "fault", "finding"),
    [
        (
            ("hadolint", "--failure-threshold", "info"),
            DOCKERFILE,
            (" --no-install-recommends", ""),
            "DL3015",
        ),
        (
            ("check-jsonschema", "--builtin-schema", "vendor.compose-spec"),
            COMPOSE,
            ("service_healthy", "service_is_healthy"),
            "service_is_healthy",
        ),
    ],
    ids=["hadolint", "compose-schema"],
)
def test_validator_catches_a_fault(
    command: tuple[str, ...],
    artefact: Path,
    fault: tuple[str, str],
    finding: str,
    tool: Callable[[str], str],
    tmp_path: Path,
) -> None:
    broken = tmp_path / artefact.name
    broken.write_text(artefact.read_text().replace(*fault, 1))
    result = run(tool(command[0]), *command[1:], broken)
    assert result.returncode == 1
    assert finding in result.stdout


def test_every_bot_is_a_service_with_its_own_token_and_health_check() -> None:
    services = compose()["services"]
    for name in bot_names():
        service = services[name]
        assert service["command"] == ["run", name]
        assert service["profiles"] == [name]
        tokens = [key for key in service["environment"] if key.endswith("_DISCORD_TOKEN")]
        assert tokens == [token_variable(name)]
        assert service["healthcheck"]["test"] == HEALTH_TEST
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }


def test_the_web_process_has_every_bots_token_and_premiums_secrets() -> None:
    """The settings page reads channels as the host bot (``gamification.host_bot``, any bot)
    sees them; the web process and the Utility Bot (``/subscribe``) make payment links, with
    each plan's price and plan id; only the web process verifies webhooks."""
    services = compose()["services"]
    web = services["web"]["environment"]
    for name in bot_names():
        assert web[token_variable(name)] == f"${{{token_variable(name)}:-}}", name
    payment_links = [
        "STRIPE_API_KEY",
        "PAYPAL_CLIENT_ID",
        "PAYPAL_CLIENT_SECRET",
        "BOTFLEET_PAYMENTS__STRIPE_PRICES",
        "BOTFLEET_PAYMENTS__PAYPAL_PLANS",
    ]
    webhooks = ["STRIPE_WEBHOOK_SECRET", "BOTFLEET_PAYMENTS__PAYPAL_WEBHOOK_ID"]
    for service, variables in (("web", payment_links + webhooks), ("utility", payment_links)):
        environment = services[service]["environment"]
        for variable in variables:
            assert environment[variable] == f"${{{variable}:-}}", (service, variable)
    utility = services["utility"]["environment"]
    assert not set(webhooks) & set(utility), "the Utility Bot receives no webhook"


def test_health_checks_ask_the_health_endpoint_the_image_serves() -> None:
    """A probe is curl on :8080/health (no Python interpreter per probe): the web process
    listens there, and the image sets a bot's health.port to it."""
    text = DOCKERFILE.read_text()
    assert "BOTFLEET_HEALTH__PORT=8080" in text
    assert "BOTFLEET_HEALTH__HOST=0.0.0.0" in text
    [check] = re.findall(r"^HEALTHCHECK .*\n\s+CMD (\[.*\])$", text, re.MULTILINE)
    assert ["CMD", *yaml.safe_load(check)] == HEALTH_TEST
    packages = re.search(r'^ARG SYSTEM_PACKAGES="(.*)"$', text, re.MULTILINE)
    assert packages is not None
    assert "curl" in packages.group(1).split()
    assert compose()["services"]["web"]["healthcheck"]["test"] == HEALTH_TEST


def test_start_order_waits_only_on_health_checks_that_exist() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert {"web", "migrate", "postgres", "redis", "nginx", *bot_names()} == set(services)
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, f"{name} waits for a service that does not exist"
            if how["condition"] == "service_healthy":
                check = services[needed].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{needed} has no check"
    assert services["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_named_volumes_are_declared() -> None:
    document = compose()
    declared = set(document["volumes"])
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/", "$")):
                assert source in declared, source
    assert {"postgres-data", "redis-data"} <= declared


def test_env_example_names_every_variable_compose_reads() -> None:
    example = (REPO / ".env.example").read_text()
    named = set(re.findall(r"^#? ?(\w+)=", example, re.MULTILINE))
    used = set(INTERPOLATION.findall(COMPOSE.read_text()))
    assert used - named == set()
    # botfleet reads .env too and refuses unknown BOTFLEET_ variables: compose's own must not
    # be; those passed on to the containers (the premium plans) are settings botfleet reads.
    passed = {name for name in used if name.startswith("BOTFLEET_")}
    assert passed == {
        "BOTFLEET_PAYMENTS__STRIPE_PRICES",
        "BOTFLEET_PAYMENTS__PAYPAL_PLANS",
        "BOTFLEET_PAYMENTS__PAYPAL_WEBHOOK_ID",
    }
    values = dict.fromkeys(passed, "{user_monthly: P-1}")
    values["BOTFLEET_PAYMENTS__PAYPAL_WEBHOOK_ID"] = "WH-1"
    payments = load_effective_config(environ=values, env_file=REPO / "no.env").settings.payments
    assert payments.stripe_prices == payments.paypal_plans == {"user_monthly": "P-1"}
    assert payments.paypal_webhook_id == "WH-1"
